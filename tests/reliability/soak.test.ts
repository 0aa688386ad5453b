import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSoak, runSoak } from "../../scripts/lib/soak-run.ts";

// The CI slice of `npm run soak`: 40 s instead of 30 min, a fault every 1 to 2.5 s so
// that every kind fires, seeded.
const dir = mkdtempSync(join(tmpdir(), "soak-slice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("40 s of 1s candles, a proactive restart every 2 s and a fault of every kind: every CSV exactly the exchange's candles", async () => {
  // requireTailRestarts: false while proactive restarts can stop for good after a drop
  // during one (the bug in proactive-restart.test.ts); `npm run soak` does check it.
  const result = await runSoak({ durationMs: 40_000, dir, seed: 11, faultEveryMs: [1000, 2500], requireTailRestarts: false });
  console.log(formatSoak(result));
  expect(result.problems).toEqual([]);
  expect(Object.keys(result.faults).sort()).toEqual(["close", "drop", "dupclose", "gap", "garbage", "refuse", "rest429", "rest5xx", "shutdown", "skipclose", "stall"]);
  expect(result.proactiveRestarts).toBeGreaterThan(0);
  expect(result.rows).toBeGreaterThan(3 * 30);
  expect({ lost: result.lost, duplicated: result.duplicated, wrong: result.wrong }).toEqual({ lost: 0, duplicated: 0, wrong: 0 });
}, 120_000);
