import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatFuzz, runFuzz } from "../../scripts/lib/fuzz.ts";
import { loadConfig } from "../../src/config/load.ts";

// The CI slice of the fuzz run (`npm run soak` feeds 100,000 of each), seeded.
const dir = mkdtempSync(join(tmpdir(), "fuzz-slice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("10,000 random and mutated stream messages and REST bodies, 1,000 CSV and config files: no crash, no hang, no invalid candle accepted, errors are clear (one line, no wall of text), nothing printed by a library", async () => {
  const result = await runFuzz({ iterations: 10_000, seed: 1 });
  console.log(formatFuzz(result));
  expect(result.cases["stream message"]).toBe(10_000);
  expect(result.cases["config file"]).toBe(1000);
  // Each reader saw both inputs it accepts and inputs it rejects.
  for (const target of Object.keys(result.cases) as (keyof typeof result.cases)[]) {
    expect(result.rejected[target]).toBeGreaterThan(0);
    expect(result.rejected[target]).toBeLessThan(result.cases[target]);
  }
  expect(result.findings).toEqual([]);
}, 60_000);

// Regression: a config error quoting a huge value stays one readable line.
test("a config error quoting a 100 KB value stays a readable line", async () => {
  const path = join(dir, "long.yml");
  writeFileSync(path, `csv:\n  columns: ${"x".repeat(100_000)}\n`);
  const error = await loadConfig({ configPath: path, env: {} }).catch((err: Error) => err);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message.length).toBeLessThan(500);
});

// Regression: the yaml library's warnings (an unknown tag) never reach stderr.
test("a config with an unknown YAML tag loads without a multi-line warning on stderr", async () => {
  const path = join(dir, "tag.yml");
  writeFileSync(path, "binance:\n  stream:\n    symbols: !weird [btcusdt]\n");
  const warnings: unknown[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((w: unknown) => void warnings.push(w)) as typeof process.emitWarning;
  try {
    await loadConfig({ configPath: path, env: {} }).catch(() => {});
  } finally {
    process.emitWarning = emitWarning;
  }
  expect(warnings).toEqual([]);
});
