import type { Candle } from "./candle.ts";
import { formatIsoMillis, formatIsoSeconds } from "../time/timestamp.ts";

export type CsvColumns = "basic" | "full";

/** The seed's header, so existing analyzers keep working. */
export const BASIC_HEADER = "timestamp,open,high,low,close,volume";
/** `csv.columns: full` appends Binance's other kline fields. */
export const FULL_HEADER = `${BASIC_HEADER},close_time,quote_volume,trades,taker_buy_base,taker_buy_quote`;

export function csvHeader(columns: CsvColumns): string {
  return columns === "full" ? FULL_HEADER : BASIC_HEADER;
}

/** One CSV line (with its newline); decimals are the exchange's strings, verbatim. */
export function formatCandleRow(candle: Candle, columns: CsvColumns): string {
  const basic = `${formatIsoSeconds(candle.openTime)},${candle.open},${candle.high},${candle.low},${candle.close},${candle.volume}`;
  if (columns === "basic") return `${basic}\n`;
  return `${basic},${formatIsoMillis(candle.closeTime)},${candle.quoteVolume},${candle.trades},${candle.takerBuyBase},${candle.takerBuyQuote}\n`;
}

/** Open time (epoch ms) of a CSV line's `YYYY-MM-DDTHH:MM:SSZ` timestamp, or undefined. */
export function rowOpenTime(line: string): number | undefined {
  const stamp = line.slice(0, line.indexOf(","));
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(stamp)) return undefined;
  const ms = Date.parse(stamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `candles_BTCUSDT_1h.csv` on spot (kstlib's name); `candles_usdm_BTCUSDT_1h.csv` on another market. */
export function csvFileName(symbol: string, interval: string, market: string = "spot"): string {
  return market === "spot" ? `candles_${symbol}_${interval}.csv` : `candles_${market}_${symbol}_${interval}.csv`;
}
