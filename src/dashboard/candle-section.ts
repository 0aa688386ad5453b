import { candleChart } from "./chart.ts";
import { alignDecimals, compareDecimals, formatOpenTime, sparkline } from "./format.ts";
import type { DashboardCandle, DashboardStream } from "./snapshot.ts";
import { lineWidth, padLine, seg, spread, type Line } from "./styled-line.ts";
import { renderTable } from "./table.ts";

/** From this width a candlestick chart sits beside the candle table. */
const CHART_MIN_COLUMNS = 120;

export interface CandleSectionOptions {
  width: number;
  utf8: boolean;
  /** Open times with their year. */
  longDates: boolean;
}

/**
 * The selected stream's last closed candles: a title (with a sparkline of closes on
 * narrow screens), then a header and `rows` candles, newest first, prices as exact
 * decimals with aligned points. From 120 columns a candlestick chart sits beside the
 * table. Always at least two lines; `rows + 2` when there are enough candles.
 */
export function renderCandleSection(stream: DashboardStream | undefined, rows: number, options: CandleSectionOptions): Line[] {
  const { width, utf8 } = options;
  if (!stream) return [[seg("no stream selected", "dim")], []];
  const title: Line = [seg(`${stream.symbol}@${stream.interval}`, "bold"), seg(" closed candles (UTC)")];
  if (stream.recent.length === 0) return [title, [seg("no closed candle yet", "dim")]];
  const shown = stream.recent.slice(-Math.max(rows, 0)).reverse();
  let table = _candleTable(shown, width, (ms) => formatOpenTime(stream.interval, ms, !options.longDates));
  if (table.width > width) table = _candleTable(shown, width, (ms) => formatOpenTime(stream.interval, ms, true));
  const chartWidth = width - table.width - 4;
  if (width >= CHART_MIN_COLUMNS && chartWidth >= 20) {
    const chart = candleChart(stream.recent, chartWidth, table.lines.length, utf8);
    return [title, ...table.lines.map((line, i) => [...padLine(line, table.width + 4), ...chart[i]!])];
  }
  const room = width - lineWidth(title) - 10;
  const closes = stream.recent.slice(-Math.max(0, room)).map((c) => Number(c.close));
  const spark = room >= 8 ? [seg("closes ", "dim"), seg(sparkline(closes, utf8), "cyan")] : [];
  return [spread(title, spark, width), ...table.lines];
}

// --- internal ---

function _candleTable(shown: DashboardCandle[], width: number, formatTime: (ms: number) => string): { lines: Line[]; width: number } {
  // Open, high, low and close share one precision, so every price column lines up.
  const prices = alignDecimals(shown.flatMap((c) => [c.open, c.high, c.low, c.close]));
  const volumes = alignDecimals(shown.map((c) => c.volume));
  const at = (i: number, k: number): string => prices[i * 4 + k]!;
  const lines = renderTable(
    [
      { title: "OPEN TIME", cells: shown.map((c) => [seg(formatTime(c.openTime))]) },
      { title: "OPEN", right: true, cells: shown.map((_, i) => [seg(at(i, 0))]) },
      { title: "HIGH", right: true, cells: shown.map((_, i) => [seg(at(i, 1))]) },
      { title: "LOW", right: true, cells: shown.map((_, i) => [seg(at(i, 2))]) },
      { title: "CLOSE", right: true, cells: shown.map((c, i) => [seg(at(i, 3), compareDecimals(c.close, c.open) >= 0 ? "green" : "red")]) },
      { title: "VOLUME", right: true, cells: shown.map((_, i) => [seg(volumes[i]!)]) },
    ],
    width,
  );
  return { lines, width: Math.max(...lines.map(lineWidth)) };
}
