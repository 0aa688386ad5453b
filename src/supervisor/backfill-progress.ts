import type { Clock } from "../clock.ts";
import type { RestBudgetSnapshot } from "../exchange/rest-budget.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";

/** How often the backfill queue is reported while it is not empty. */
export const PROGRESS_EVERY_MS = 10_000;

/**
 * One log line about the REST backfill queue, or undefined when there is nothing to say:
 * said while requests wait (or wait out a 429/418), and once more when the queue empties. Pure.
 */
export function backfillProgressLine(now: RestBudgetSnapshot, before: RestBudgetSnapshot | undefined, at: number): string | undefined {
  const waiting = now.queued + now.inFlight;
  const waited = before ? before.queued + before.inFlight : 0;
  const paused = now.pausedUntil !== undefined && now.pausedUntil > at ? `; REST paused until ${formatIsoSeconds(now.pausedUntil)} (a ${now.banned > (before?.banned ?? 0) ? "418 ban" : "429"})` : "";
  const done = before ? now.granted - before.granted : now.granted;
  if (waiting > 0 || paused) return `backfill queue: ${now.queued} waiting, ${now.inFlight} in flight, ${done} requests done since the last report; weight ${now.usedThisMinute}/${now.capPerMinute} this minute (limit ${now.limitPerMinute})${paused}`;
  if (waited > 0) return `backfill queue empty: every request served (peak weight ${now.peakPerMinute}/${now.capPerMinute} a minute)`;
  return undefined;
}

/** Logs `backfillProgressLine` every PROGRESS_EVERY_MS; returns a stop function. */
export function reportBackfillProgress(snapshot: () => RestBudgetSnapshot, clock: Clock, log: (line: string) => void): () => void {
  let before: RestBudgetSnapshot | undefined;
  let cancel = () => {};
  const tick = () => {
    const now = snapshot();
    const line = backfillProgressLine(now, before, clock.now());
    if (line) log(line);
    before = now;
    cancel = clock.setTimeout(tick, PROGRESS_EVERY_MS);
  };
  cancel = clock.setTimeout(tick, PROGRESS_EVERY_MS);
  return () => cancel();
}
