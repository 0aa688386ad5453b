import { expect, test } from "bun:test";
import type { RestBudgetSnapshot } from "../../src/exchange/rest-budget.ts";
import { backfillProgressLine } from "../../src/supervisor/backfill-progress.ts";

const AT = Date.UTC(2026, 10, 30, 12);
const idle: RestBudgetSnapshot = { limitPerMinute: 6000, capPerMinute: 4800, usedThisMinute: 0, peakPerMinute: 3000, queued: 0, inFlight: 0, granted: 100, pausedUntil: undefined, rateLimited: 0, banned: 0 };

test("a queue is reported with its progress, an emptied one once, an idle one never", () => {
  const busy = { ...idle, queued: 1200, inFlight: 8, granted: 900, usedThisMinute: 4790 };
  expect(backfillProgressLine(busy, idle, AT)).toBe("backfill queue: 1200 waiting, 8 in flight, 800 requests done since the last report; weight 4790/4800 this minute (limit 6000)");
  expect(backfillProgressLine({ ...idle, granted: 2100 }, busy, AT)).toBe("backfill queue empty: every request served (peak weight 3000/4800 a minute)");
  expect(backfillProgressLine(idle, idle, AT)).toBeUndefined();
});

test("a pause for a 429 says until when", () => {
  const paused = { ...idle, queued: 3, pausedUntil: AT + 30_000, rateLimited: 1 };
  expect(backfillProgressLine(paused, idle, AT)).toContain("REST paused until 2026-11-30T12:00:30Z (a 429)");
});
