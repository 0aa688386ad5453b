/**
 * Lines as styled segments, so that widths are measured on plain text and colour codes
 * are added only at the end (`toAnsi`), after clipping to the terminal width.
 */
export type Style = "bold" | "dim" | "inverse" | "red" | "green" | "yellow" | "cyan";

export interface Segment {
  text: string;
  styles: readonly Style[];
}

export type Line = Segment[];

export function seg(text: string, ...styles: Style[]): Segment {
  return { text: sanitize(text), styles };
}

/** Control characters (ESC, newlines, C1) become spaces: text from outside must not drive the terminal. */
export function sanitize(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

/** Terminal columns taken by `text` (wide characters count 2, combining marks 0). */
export function textWidth(text: string): number {
  return Bun.stringWidth(text);
}

export function lineWidth(line: Line): number {
  let width = 0;
  for (const s of line) width += textWidth(s.text);
  return width;
}

/** `text` cut to at most `width` columns, ending in `…` (ASCII `~`) when something was cut. */
export function truncate(text: string, width: number, utf8 = true): string {
  if (textWidth(text) <= width) return text;
  if (width <= 0) return "";
  return _take(text, width - 1).text + (utf8 ? "…" : "~");
}

/** `left`, then `right` pushed to end at column `width` (at least one space between). */
export function spread(left: Line, right: Line, width: number): Line {
  const gap = Math.max(1, width - lineWidth(left) - lineWidth(right));
  return [...left, seg(" ".repeat(gap)), ...right];
}

/** Pads `line` with spaces to `width` columns. */
export function padLine(line: Line, width: number): Line {
  const missing = width - lineWidth(line);
  return missing > 0 ? [...line, seg(" ".repeat(missing))] : line;
}

/** Joins segment groups with a separator segment. */
export function joinLine(parts: Line[], separator: Segment): Line {
  const out: Line = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(separator);
    out.push(...part);
  });
  return out;
}

const SGR: Record<Style, number> = { bold: 1, dim: 2, inverse: 7, red: 31, green: 32, yellow: 33, cyan: 36 };

/**
 * The line as terminal text: clipped to `width` columns, trailing blanks dropped, each
 * styled segment wrapped in SGR codes and a reset (none when `colour` is false).
 */
export function toAnsi(line: Line, width: number, colour: boolean): string {
  const clipped: Line = [];
  let room = width;
  for (const s of line) {
    if (room <= 0) break;
    const { text, width: used } = _take(s.text, room);
    clipped.push({ text, styles: s.styles });
    room -= used;
  }
  // Trailing blanks are dropped (the terminal loop clears the rest of the row), except
  // inside an inverse segment, where spaces are visible.
  while (clipped.length > 0) {
    const last = clipped[clipped.length - 1]!;
    if (last.styles.includes("inverse")) break;
    const trimmed = last.text.trimEnd();
    if (trimmed.length > 0) {
      clipped[clipped.length - 1] = { text: trimmed, styles: last.styles };
      break;
    }
    clipped.pop();
  }
  let out = "";
  for (const s of clipped) {
    if (!colour || s.styles.length === 0 || s.text.length === 0) out += s.text;
    else out += `\x1b[${s.styles.map((st) => SGR[st]).join(";")}m${s.text}\x1b[0m`;
  }
  return out;
}

// --- internal ---

/** The longest prefix of `text` that fits in `width` columns. */
function _take(text: string, width: number): { text: string; width: number } {
  const total = textWidth(text);
  if (total <= width) return { text, width: total };
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = textWidth(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return { text: out, width: used };
}
