/**
 * Binance kline intervals and their calendar: fixed-length intervals are aligned on
 * the Unix epoch (UTC), `1w` starts on Monday 00:00 UTC and `1M` is a calendar month.
 * A plain table shared by the recorder, the audit and the simulator.
 */
export const INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"] as const;
export type Interval = (typeof INTERVALS)[number];

const FIXED_MS: Record<Exclude<Interval, "1M">, number> = {
  "1s": 1000,
  "1m": 60_000,
  "3m": 180_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "2h": 7_200_000,
  "4h": 14_400_000,
  "6h": 21_600_000,
  "8h": 28_800_000,
  "12h": 43_200_000,
  "1d": 86_400_000,
  "3d": 259_200_000,
  "1w": 604_800_000,
};

/** 1970-01-05 was the first Monday after the epoch (a Thursday). */
const FIRST_MONDAY_MS = 4 * 86_400_000;

const INTERVAL_SET: ReadonlySet<string> = new Set(INTERVALS);

export function isInterval(text: string): text is Interval {
  return INTERVAL_SET.has(text);
}

/** Nominal length in ms (a `1M` counts 30 days: use only for estimates). */
export function intervalMs(interval: Interval): number {
  return interval === "1M" ? 30 * 86_400_000 : FIXED_MS[interval];
}

/** Open time of the candle that contains `t`. */
export function candleOpenAt(interval: Interval, t: number): number {
  if (interval === "1M") {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const size = FIXED_MS[interval];
  const offset = interval === "1w" ? FIRST_MONDAY_MS : 0;
  return Math.floor((t - offset) / size) * size + offset;
}

/** Open time of the candle after the one opening at `open`. */
export function nextOpenTime(interval: Interval, open: number): number {
  if (interval === "1M") {
    const d = new Date(open);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return open + FIXED_MS[interval];
}

/** Open time of the candle before the one opening at `open`. */
export function previousOpenTime(interval: Interval, open: number): number {
  if (interval === "1M") {
    const d = new Date(open);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  }
  return open - FIXED_MS[interval];
}

/** True when `t` is an open time of `interval`. */
export function isAligned(interval: Interval, t: number): boolean {
  return candleOpenAt(interval, t) === t;
}

/** Number of candles from `from` (inclusive) to `to` (exclusive), both aligned. */
export function candlesBetween(interval: Interval, from: number, to: number): number {
  if (to <= from) return 0;
  if (interval === "1M") {
    const a = new Date(from);
    const b = new Date(to);
    return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
  }
  return Math.round((to - from) / FIXED_MS[interval]);
}
