import { parseCandleRow, parsedRow, type CandleFormat } from "../candles/audit-row.ts";

/** One candle as the table takes it: decimals stay the exchange's strings. */
export interface DbCandle {
  market: string;
  symbol: string;
  interval: string;
  /** Epoch ms. */
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  /** Epoch ms; null in a 6-column CSV. */
  closeTime: number | null;
  quoteVolume: string | null;
  trades: string | null;
  takerBuyBase: string | null;
  takerBuyQuote: string | null;
}

export interface StreamKey {
  market: string;
  symbol: string;
  interval: string;
}

/**
 * A CSV line (ours, the seed's, or a Binance dump; no line ending) as a table row, or
 * the reason it cannot be one (a torn or corrupt row, which `gaps` reports). A row that
 * is well formed but fails the audit's OHLC sanity check is still the file's content: it
 * goes to the table as written (`gaps` reports it in the file).
 */
export function csvLineToDbCandle(line: string, format: CandleFormat, key: StreamKey): DbCandle | string {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  const bytes = Buffer.from(text, "latin1");
  const problem = parseCandleRow(bytes, 0, bytes.length, format);
  if (problem !== null && !parsedRow.wellFormed) return problem;
  if (parsedRow.time % 1 !== 0) return "the open time is not on a millisecond";
  const f = text.split(",");
  const extended = format !== "basic";
  return {
    ...key,
    openTime: parsedRow.time,
    open: f[1]!,
    high: f[2]!,
    low: f[3]!,
    close: f[4]!,
    volume: f[5]!,
    closeTime: extended && Number.isInteger(parsedRow.closeTime) ? parsedRow.closeTime : null,
    quoteVolume: extended ? f[7]! : null,
    trades: extended ? f[8]! : null,
    takerBuyBase: extended ? f[9]! : null,
    takerBuyQuote: extended ? f[10]! : null,
  };
}

/** The rows as one JSON array for `json_to_recordset` (column names of the table). */
export function candlesToJson(candles: readonly DbCandle[]): string {
  return JSON.stringify(
    candles.map((c) => ({
      market: c.market,
      symbol: c.symbol,
      interval: c.interval,
      open_time: new Date(c.openTime).toISOString(),
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
      close_time: c.closeTime === null ? null : new Date(c.closeTime).toISOString(),
      quote_volume: c.quoteVolume,
      trades: c.trades,
      taker_buy_base: c.takerBuyBase,
      taker_buy_quote: c.takerBuyQuote,
    })),
  );
}
