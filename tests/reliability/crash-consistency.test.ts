import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatCrashLoop, runCrashLoop } from "../../scripts/lib/crash-loop.ts";

// The CI slice of the crash-consistency run (`npm run soak` does 100 kills): 10 kills,
// 3 h of 1s history to backfill first, so the first kills land in the middle of it.
const dir = mkdtempSync(join(tmpdir(), "crash-slice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("SIGKILL at random moments 10 times in a row, mid-backfill included: the CSVs end complete and clean", async () => {
  const result = await runCrashLoop({ kills: 10, dir, seed: 3, sinceMinutes: 180 });
  console.log(formatCrashLoop(result));
  expect(result.problems).toEqual([]);
  expect(result.kills).toBe(10);
  expect(result.moments.backfilling).toBeGreaterThan(0);
  expect(result.tornInjected).toBeGreaterThan(0);
  expect(result.tornRepaired).toBe(result.tornInjected);
  expect(result.rows).toBeGreaterThan(2 * 180 * 60);
  expect({ lost: result.lost, duplicated: result.duplicated, wrong: result.wrong }).toEqual({ lost: 0, duplicated: 0, wrong: 0 });
}, 120_000);
