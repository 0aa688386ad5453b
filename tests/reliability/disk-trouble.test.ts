import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diskTroubleUnsupported, runDiskTroubleAnywhere, type PhaseResult } from "../../scripts/lib/disk-trouble.ts";

const dir = mkdtempSync(join(tmpdir(), "disk-slice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const unsupported = diskTroubleUnsupported(dir);
if (unsupported) console.warn(`disk trouble tests skipped: ${unsupported}`);

test.skipIf(unsupported !== undefined)("the CSV filesystem full, then the CSVs read-only, for a while each: the held rows land once the disk is back", async () => {
  const result = await runDiskTroubleAnywhere(dir);
  expect(result.problems).toEqual([]);
  const phases: [string, PhaseResult | { skipped: string }][] = [["full", result.full], ["read-only", result.readOnly]];
  expect("skipped" in result.full).toBe(false);
  for (const [name, phase] of phases) {
    if ("skipped" in phase) {
      console.warn(`disk ${name} phase skipped: ${phase.skipped}`);
      continue;
    }
    expect(phase.failing, `${name}: no CSV write failed, the phase proved nothing`).toBeGreaterThan(0);
    expect(phase.recovered).toBe(phase.failing);
    expect(phase.rows).toBeGreaterThan(0);
    expect({ lost: phase.lost, duplicated: phase.duplicated, wrong: phase.wrong }).toEqual({ lost: 0, duplicated: 0, wrong: 0 });
  }
}, 150_000);
