import { INTERVALS, isAligned, nextOpenTime, type Interval } from "../time/intervals.ts";

const DAY_MS = 86_400_000;

/**
 * The interval a run of open times was recorded at: the most common step between
 * consecutive distinct times that is a Binance interval (28 to 31 days between
 * month starts is `1M`). A few holes or a misaligned row do not change the most
 * common step; ties go to the shorter interval. Undefined when no step fits.
 */
export function inferInterval(times: readonly number[]): Interval | undefined {
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  const votes = new Map<Interval, number>();
  for (let i = 1; i < sorted.length; i++) {
    const interval = _intervalOfStep(sorted[i - 1]!, sorted[i]!);
    if (interval) votes.set(interval, (votes.get(interval) ?? 0) + 1);
  }
  let best: Interval | undefined;
  for (const interval of INTERVALS) {
    if ((votes.get(interval) ?? 0) > (best ? votes.get(best)! : 0)) best = interval;
  }
  return best;
}

// --- internal ---

function _intervalOfStep(from: number, to: number): Interval | undefined {
  const step = to - from;
  if (step >= 28 * DAY_MS && step <= 31 * DAY_MS && isAligned("1M", from) && isAligned("1M", to)) return "1M";
  return INTERVALS.find((i) => i !== "1M" && nextOpenTime(i, 0) === step && isAligned(i, from));
}
