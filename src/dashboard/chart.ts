import { alignDecimals, compareDecimals } from "./format.ts";
import type { DashboardCandle } from "./snapshot.ts";
import { seg, type Line, type Style } from "./styled-line.ts";

/**
 * A candlestick chart of the newest candles that fit, one column per candle (two when
 * there is room), oldest on the left: body `█` (ASCII `#`), wick `│` (`|`), open = close `─` (`-`); green when the
 * close is not below the open, red otherwise. The highest high labels the top row and
 * the lowest low the bottom row. Returns exactly `height` lines of at most `width` columns.
 */
export function candleChart(candles: readonly DashboardCandle[], width: number, height: number, utf8: boolean): Line[] {
  if (height <= 0) return [];
  const blank = (): Line[] => Array.from({ length: height }, () => []);
  if (candles.length === 0 || width < 4) return blank();
  const glyph = utf8 ? { body: "█", wick: "│", flat: "─" } : { body: "#", wick: "|", flat: "-" };

  let highest = candles[0]!.high;
  let lowest = candles[0]!.low;
  for (const c of candles) {
    if (compareDecimals(c.high, highest) > 0) highest = c.high;
    if (compareDecimals(c.low, lowest) < 0) lowest = c.low;
  }
  const [topLabel, bottomLabel] = alignDecimals([highest, lowest]) as [string, string];
  const labelWidth = topLabel.length + 1;
  const plotWidth = width - labelWidth;
  if (plotWidth < 2) return blank();
  // A blank column between candles when they all fit that way: easier to read.
  const spaced = candles.length * 2 <= plotWidth;
  const shown = candles.slice(-plotWidth);

  const max = Number(highest);
  const min = Number(lowest);
  const rowOf = (value: number): number => {
    if (max === min) return Math.floor((height - 1) / 2);
    return Math.min(height - 1, Math.max(0, Math.floor(((max - value) / (max - min)) * height)));
  };

  const grid: { ch: string; style: Style }[][] = Array.from({ length: height }, () => []);
  for (const c of shown) {
    const up = compareDecimals(c.close, c.open) >= 0;
    const style: Style = up ? "green" : "red";
    const bodyTop = rowOf(Math.max(Number(c.open), Number(c.close)));
    const bodyBottom = rowOf(Math.min(Number(c.open), Number(c.close)));
    const wickTop = rowOf(Number(c.high));
    const wickBottom = rowOf(Number(c.low));
    const flat = compareDecimals(c.close, c.open) === 0;
    for (let r = 0; r < height; r++) {
      let ch = " ";
      if (r >= bodyTop && r <= bodyBottom) ch = flat ? glyph.flat : glyph.body;
      else if (r >= wickTop && r <= wickBottom) ch = glyph.wick;
      grid[r]!.push({ ch, style });
      if (spaced) grid[r]!.push({ ch: " ", style });
    }
  }

  return grid.map((cells, r) => {
    const label = r === 0 ? topLabel : r === height - 1 ? bottomLabel : " ".repeat(topLabel.length);
    return [seg(`${label} `, "dim"), ..._runs(cells)];
  });
}

// --- internal ---

/** Merges neighbouring cells of one style into one segment (fewer colour codes). */
function _runs(cells: { ch: string; style: Style }[]): Line {
  const line: Line = [];
  let text = "";
  let style: Style | undefined;
  for (const cell of cells) {
    const cellStyle = cell.ch === " " ? style : cell.style;
    if (cellStyle !== style && text.length > 0) {
      line.push(seg(text, ...(style ? [style] : [])));
      text = "";
    }
    style = cellStyle;
    text += cell.ch;
  }
  if (text.length > 0) line.push(seg(text, ...(style ? [style] : [])));
  return line;
}
