import { joinLine, lineWidth, seg, type Line } from "./styled-line.ts";

export interface TableColumn {
  /** Header text (drawn dim). */
  title: string;
  /** Right-align the cells (numbers). */
  right?: boolean;
  /** One cell per row. */
  cells: Line[];
}

/**
 * A header line plus one line per row, each column padded to its widest cell. Columns
 * are two spaces apart, or one when two would not fit in `width`.
 */
export function renderTable(columns: TableColumn[], width: number): Line[] {
  const widths = columns.map((c) => Math.max(c.title.length, ...c.cells.map(lineWidth)));
  const gap = widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1) <= width ? "  " : " ";
  const header = joinLine(
    columns.map((c, i) => _pad([seg(c.title, "dim")], widths[i]!, c.right)),
    seg(gap),
  );
  const rows = (columns[0]?.cells ?? []).map((_, r) =>
    joinLine(
      columns.map((c, i) => _pad(c.cells[r] ?? [], widths[i]!, c.right)),
      seg(gap),
    ),
  );
  return [header, ...rows];
}

/** The narrowest width `renderTable` draws these columns in (one space apart). */
export function tableWidth(columns: TableColumn[]): number {
  const widths = columns.map((c) => Math.max(c.title.length, ...c.cells.map(lineWidth)));
  return widths.reduce((a, b) => a + b, 0) + Math.max(0, columns.length - 1);
}

// --- internal ---

function _pad(line: Line, width: number, right?: boolean): Line {
  const fill = seg(" ".repeat(Math.max(0, width - lineWidth(line))));
  return right ? [fill, ...line] : [...line, fill];
}
