import { UserError } from "../errors.ts";
import { INTERVALS, nextOpenTime } from "../time/intervals.ts";
import { auditFile } from "./audit-file.ts";

/** One hole, shaped (and typed: all strings) like the seed's Python `analyze_gaps`. */
export interface SeedGap {
  /** Open time of the valid candle before the hole, `2026-01-27T14:00:00+00:00`. */
  before: string;
  /** Open time of the valid candle after it. */
  after: string;
  gap_seconds: string;
  missing_candles: string;
}

/**
 * The seed's `analyze_gaps(path, expected_interval_seconds)` for people who script
 * it, with the full audit underneath: a duplicate is not a "-1 missing" gap, a late
 * row fills its hole, a glued row does not hide a lost candle, any UTC offset reads.
 * Unlike the seed, a missing file is an error rather than "no gaps".
 */
export function analyzeGaps(path: string, expectedIntervalSeconds = 3600): SeedGap[] {
  const interval = INTERVALS.find((i) => i !== "1M" && nextOpenTime(i, 0) === expectedIntervalSeconds * 1000);
  if (!interval) throw new UserError(`expected_interval_seconds ${expectedIntervalSeconds} is not a Binance interval (60 for 1m, 3600 for 1h, ...)`);
  return auditFile(path, { interval }).gaps.map((gap) => ({
    before: _pythonIso(gap.prev),
    after: _pythonIso(gap.next),
    gap_seconds: String((gap.next - gap.prev) / 1000),
    missing_candles: String(gap.missing),
  }));
}

// --- internal ---

/** Python's `datetime.isoformat()` of an aware UTC time. */
function _pythonIso(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}${ms % 1000 ? iso.slice(19, 23) + "000" : ""}+00:00`;
}
