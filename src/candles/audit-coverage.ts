import { candleOpenAt, candlesBetween, isAligned, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";

/** A candle counts as due this long after it closes: the time a recorder needs to write it. */
export const CLOSE_GRACE_MS = 10_000;

export interface Coverage {
  /** The expected coverage's first and last open times, when given. */
  expectedFirst: number | null;
  expectedLast: number | null;
  /** Candles missing before the first / after the last valid one. */
  headMissing: number;
  tailMissing: number;
}

/**
 * The missing head and tail of a file whose valid candles span first..last, against
 * --since/--until (inclusive; `since` rounds up to an open time, and only candles
 * closed by `now` are due).
 */
export function expectedCoverage(interval: Interval, first: number | null, last: number | null, o: { since?: number; until?: number; now?: number }): Coverage {
  const from = o.since === undefined ? null : isAligned(interval, o.since) ? o.since : nextOpenTime(interval, candleOpenAt(interval, o.since));
  let to: number | null = null;
  if (o.until !== undefined) {
    const lastClosed = previousOpenTime(interval, candleOpenAt(interval, (o.now ?? Date.now()) - CLOSE_GRACE_MS));
    to = Math.min(candleOpenAt(interval, o.until), lastClosed);
  }
  const end = to === null ? null : nextOpenTime(interval, to);
  let headMissing = 0;
  let tailMissing = 0;
  if (first === null || last === null) {
    if (from !== null && end !== null) headMissing = candlesBetween(interval, from, end);
  } else {
    if (from !== null) headMissing = candlesBetween(interval, from, end === null ? first : Math.min(first, end));
    if (end !== null) tailMissing = candlesBetween(interval, Math.max(nextOpenTime(interval, last), from ?? -Infinity), end);
  }
  return { expectedFirst: from, expectedLast: to, headMissing, tailMissing };
}
