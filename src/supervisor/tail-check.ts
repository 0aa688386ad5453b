import type { Candle } from "../candles/candle.ts";
import { rowOpenTime } from "../candles/csv.ts";
import { rowDifferences } from "../candles/row-compare.ts";
import { candleOpenAt, type Interval } from "../time/intervals.ts";

/** What the exchange says about the last row a CSV had at start-up. */
export type TailVerdict =
  | { kind: "agrees" }
  | { kind: "unverified"; why: string }
  | { kind: "replace"; openTime: number; row: string; exchange: Candle; fields: string[]; earlierDiffers: boolean }
  | { kind: "remove"; openTime: number; row: string };

/**
 * A last row whose candle is still open by our clock is an in-progress candle written by
 * another tool: it must go, or the real close would be dropped as a duplicate.
 */
export function inProgressTail(rows: readonly string[], interval: Interval, now: number): TailVerdict {
  const row = rows[rows.length - 1];
  const openTime = row === undefined ? undefined : rowOpenTime(row);
  if (row === undefined || openTime === undefined) return { kind: "agrees" };
  return openTime >= candleOpenAt(interval, now) ? { kind: "remove", openTime, row } : { kind: "agrees" };
}

/**
 * Compares the file's last rows (newest last) with the exchange's closed candles from
 * the row before the last on. Only the last row can be repaired (the file is append-only);
 * `earlierDiffers` says the file was written from another source altogether.
 */
export function checkTail(rows: readonly string[], candles: readonly Candle[]): TailVerdict {
  const row = rows[rows.length - 1];
  const openTime = row === undefined ? undefined : rowOpenTime(row);
  if (row === undefined || openTime === undefined) return { kind: "agrees" };
  const exchange = candles.find((c) => c.openTime === openTime);
  if (!exchange) return { kind: "unverified", why: "the exchange did not return that candle" };
  const fields = rowDifferences(row, exchange);
  if (fields.length === 0) return { kind: "agrees" };
  const earlier = rows[rows.length - 2];
  const earlierTime = earlier === undefined ? undefined : rowOpenTime(earlier);
  const earlierExchange = candles.find((c) => c.openTime === earlierTime);
  const earlierDiffers = earlier !== undefined && earlierExchange !== undefined && rowDifferences(earlier, earlierExchange).length > 0;
  return { kind: "replace", openTime, row, exchange, fields, earlierDiffers };
}
