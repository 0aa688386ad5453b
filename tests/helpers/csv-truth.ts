import type { Interval } from "../../src/time/intervals.ts";
import { checkCsv, closedBetween, type OpenTimeBound, type TruthSource } from "../../scripts/lib/truth-check.ts";

export { closedBetween, openedBetween, type OpenTimeBound } from "../../scripts/lib/truth-check.ts";

/**
 * A close event reaches the recorder within this long of its candle's end: the
 * simulator sends it at the boundary, over loopback. A stop closer to a boundary than
 * this cannot tell whether that candle made it.
 */
export const CLOSE_DELIVERY_MS = 250;

/** The last row of a recorder stopped at `stoppedAt` (test clock): the last candle closed by then, or the one before when its close event may have been in flight. */
export function lastClosedBefore(interval: Interval, stoppedAt: number): OpenTimeBound {
  return closedBetween(interval, stoppedAt - CLOSE_DELIVERY_MS, stoppedAt);
}

export interface CsvTruthExpectations {
  /**
   * Open time of the file's first row: exact, or `openedBetween(interval, before, after)`
   * around the recorder's start when the test's clock cannot tell it to the candle.
   */
  expectFirst: OpenTimeBound;
  /**
   * Open time of the file's last row: the last candle closed before the recorder stopped,
   * `closedBetween(interval, stoppedAt - grace, stoppedAt)` when a close event may have
   * been in flight at the stop.
   */
  expectLast: OpenTimeBound;
}

export interface CsvTruthResult {
  /** Open times of the rows, in file order. */
  times: number[];
  /** What is wrong, one line each: assert `toEqual([])`. */
  problems: string[];
}

/**
 * Checks a recorded CSV row by row against the exchange's truth: header, strictly
 * increasing open times, no hole except the exchange's own gaps, every value exactly as
 * the exchange has it, and the first and last rows where the test expects them, so a
 * recorder that started late or stopped early fails. The one implementation is the
 * scripts' `checkCsv` (its own reader, independent of the recorder's writer).
 */
export function checkCsvAgainstTruth(path: string, exchange: TruthSource, symbol: string, interval: Interval, expected: CsvTruthExpectations): CsvTruthResult {
  const verdict = checkCsv(path, exchange, symbol, interval, { first: expected.expectFirst, last: expected.expectLast });
  return { times: verdict.times, problems: verdict.problems };
}
