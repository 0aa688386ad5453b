import type { Interval } from "../time/intervals.ts";

/**
 * One closed kline, exactly as the exchange sent it: prices and volumes are the
 * exchange's decimal strings, never numbers.
 */
export interface Candle {
  symbol: string;
  interval: Interval;
  /** Open time, epoch ms. Klines are identified by it. */
  openTime: number;
  /** Close time, epoch ms (normally next open - 1; not during a halt). */
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  trades: number;
  takerBuyBase: string;
  takerBuyQuote: string;
}

/** `BTCUSDT@1h`: a stream's key in logs and the state file. */
export function streamKey(symbol: string, interval: Interval): string {
  return `${symbol}@${interval}`;
}
