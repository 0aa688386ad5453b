import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSoak, runSoak } from "../../scripts/lib/soak-run.ts";

// The CI slice of `npm run soak`: 35 s of faults instead of 30 min, one every 1 to 2.5 s so
// that every kind fires, seeded; then the recorder must settle (caught up, restarting).
const dir = mkdtempSync(join(tmpdir(), "soak-slice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("35 s of 1s candles, a proactive restart every 2 s and a fault of every kind: every CSV exactly the exchange's candles", async () => {
  const result = await runSoak({ durationMs: 35_000, dir, seed: 11, faultEveryMs: [1000, 2500] });
  console.log(formatSoak(result));
  expect(result.problems).toEqual([]);
  expect(Object.keys(result.faults).sort()).toEqual(["close", "drop", "dupclose", "gap", "garbage", "refuse", "rest429", "rest5xx", "shutdown", "skipclose", "stall"]);
  // The restarts go on once the faults stop (they once stopped for good after a drop during one).
  expect(result.settleSeconds).toBeDefined();
  expect(result.tailRestarts).toBeGreaterThanOrEqual(2);
  expect(result.rows).toBeGreaterThan(3 * 30);
  expect({ lost: result.lost, duplicated: result.duplicated, wrong: result.wrong }).toEqual({ lost: 0, duplicated: 0, wrong: 0 });
}, 120_000);
