import { candleOpenAt, previousOpenTime, type Interval } from "../time/intervals.ts";

/**
 * When a symbol traded, as pure functions on a list of periods. A period opens at a
 * listing or a resume (its first candle of each interval is the one containing `from`)
 * and ends at a halt (candles opening at or after `until` do not exist). A symbol that
 * was always there has one period from -Infinity; a BREAK symbol has none.
 */
export interface TradingPeriod {
  /** Listing or resume time, ms; -Infinity for "since forever". */
  from: number;
  /** Halt time, ms; undefined while it still trades. */
  until?: number;
}

/** True when the candle opening at `openTime` exists: it falls in some trading period. */
export function candleExists(periods: readonly TradingPeriod[], interval: Interval, openTime: number): boolean {
  return periods.some((p) => openTime >= _firstOpen(p, interval) && (p.until === undefined || openTime < p.until));
}

/** The first open time ≥ `t` (aligned) that lies in a period; Infinity when none does. */
export function nextTradingOpen(periods: readonly TradingPeriod[], interval: Interval, t: number): number {
  let best = Infinity;
  for (const p of periods) {
    const first = _firstOpen(p, interval);
    const candidate = Math.max(t, first);
    if (p.until === undefined || candidate < p.until) best = Math.min(best, candidate);
  }
  return best;
}

/** The last open time ≤ `t` (aligned) that lies in a period; -Infinity when none does. */
export function previousTradingOpen(periods: readonly TradingPeriod[], interval: Interval, t: number): number {
  let best = -Infinity;
  for (const p of periods) {
    const last = p.until === undefined ? t : Math.min(t, _lastOpenBefore(interval, p.until));
    if (last >= _firstOpen(p, interval)) best = Math.max(best, last);
  }
  return best;
}

/** Ends the open period at `at` (a halt). No open period: nothing changes. */
export function haltPeriods(periods: readonly TradingPeriod[], at: number): TradingPeriod[] {
  return periods.map((p) => (p.until === undefined ? { from: p.from, until: Math.max(p.from, at) } : p));
}

/** Opens a period at `at` (a listing or a resume) unless one is open already. */
export function resumePeriods(periods: readonly TradingPeriod[], at: number): TradingPeriod[] {
  return periods.some((p) => p.until === undefined) ? [...periods] : [...periods, { from: at }];
}

// --- internal ---

function _firstOpen(p: TradingPeriod, interval: Interval): number {
  return p.from === -Infinity ? -Infinity : candleOpenAt(interval, p.from);
}

/** The open time of the last candle that opens strictly before `until`. */
function _lastOpenBefore(interval: Interval, until: number): number {
  const open = candleOpenAt(interval, until);
  return open < until ? open : previousOpenTime(interval, open);
}
