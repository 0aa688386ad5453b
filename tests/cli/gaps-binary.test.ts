import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeKlinesRest } from "../candles/fake-klines-rest.ts";

const ROOT = join(import.meta.dir, "../..");
const BINARY = join(ROOT, "dist/resilience");
const FIXTURES = join(ROOT, "tests/fixtures/gaps");

/** Builds dist/resilience when it is missing or older than any source file. */
function ensureBinary(): void {
  const newest = Math.max(statSync(join(ROOT, "package.json")).mtimeMs, ..._files(join(ROOT, "src")).map((f) => statSync(f).mtimeMs));
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newest) return;
  const build = Bun.spawnSync([join(ROOT, "node_modules/.bin/bun"), "run", "build"], { cwd: ROOT, stderr: "pipe", stdout: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
}

function _files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? _files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function gaps(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([BINARY, "gaps", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

let dir: string;
beforeAll(() => {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "gaps-binary-"));
  for (const name of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, name), join(dir, name));
  copyFileSync(join(FIXTURES, "gap-1h.csv"), join(dir, "candles_BTCUSDT_1h.csv"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("dist/resilience gaps", () => {
  test("exit 0 on a clean file, with a summary and no colour in a pipe", async () => {
    const { code, stdout, stderr } = await gaps("seed-clean-1h.csv");
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toStartWith("seed-clean-1h.csv: 1h (inferred from the data), 3 candles 2026-01-27T14:00:00Z .. 2026-01-27T16:00:00Z;");
    expect(stdout).not.toContain("\x1b[");
  });

  test("exit 1 and one JSON object per file, in argument order", async () => {
    const { code, stdout } = await gaps("gap-1h.csv", "seed-clean-1h.csv", "--json", "--interval", "1h");
    expect(code).toBe(1);
    const records = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(records.map((r) => [r.file, r.rows, r.gaps.length])).toEqual([["gap-1h.csv", 4, 1], ["seed-clean-1h.csv", 3, 0]]);
    expect(records[0].gaps[0]).toEqual({ prev: "2024-01-01T01:00:00Z", next: "2024-01-01T04:00:00Z", first_missing: "2024-01-01T02:00:00Z", last_missing: "2024-01-01T03:00:00Z", missing: 2, line: 4, kind: "unknown" });
    expect(records[1]).toEqual({ file: "seed-clean-1h.csv", interval: "1h", rows: 3, first: "2026-01-27T14:00:00Z", last: "2026-01-27T16:00:00Z", gaps: [], duplicates: [], out_of_order: [], misaligned: [], corrupt: [], head_missing: 0, tail_missing: 0 });
  });

  test("says on stderr when --json output rests on an interval inferred from the data", async () => {
    const { code, stdout, stderr } = await gaps("gap-1h.csv", "--json");
    expect([code, JSON.parse(stdout).interval]).toEqual([1, "1h"]);
    expect(stderr).toBe("resilience: gap-1h.csv: interval 1h inferred from the data; give --interval to be sure\n");
  });

  test.each([
    ["binary.csv", "binary data, not a candle CSV file"],
    ["not-candles.csv", "not a candle file"],
    ["no-such.csv", "cannot read it (no such file)"],
  ])("exit 2 with one line for %s", async (name, message) => {
    const { code, stdout, stderr } = await gaps(name);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(`resilience: ${name}: ${message}`);
  });

  test("a bad file among good ones: the good ones are reported, the exit is 2", async () => {
    const { code, stdout, stderr } = await gaps("--json", "gap-1h.csv", "binary.csv", "empty.csv");
    expect(code).toBe(2);
    expect(stdout.trimEnd().split("\n").map((l) => JSON.parse(l).file)).toEqual(["gap-1h.csv", "empty.csv"]);
    expect(stderr).toContain("binary.csv");
  });

  test.each([
    [["--interval", "7m", "gap-1h.csv"], '--interval: "7m" is not a Binance interval'],
    [["--since", "yesterday", "gap-1h.csv"], '--since: "yesterday" is not a time'],
    [["--frobnicate", "gap-1h.csv"], "unknown option --frobnicate"],
    [[], "give at least one candle file"],
  ])("usage errors exit 2: %j", async (args, message) => {
    const { code, stderr } = await gaps(...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain("    at ");
  });

  test("--verify: the exchange's own gap (the 2023-03-24 halt) is not a finding", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: Date.now(), missing: [Date.UTC(2023, 2, 24, 13)] });
    const { code, stdout } = await gaps("BTCUSDT-1h-2023-03-24.csv", "--verify", "--rest-url", rest.url, "--json");
    expect(JSON.parse(stdout).gaps.map((g: { kind: string }) => g.kind)).toEqual(["exchange"]);
    expect(code).toBe(0);
  });

  test("--fill is refused while a live recorder holds the lock, and then repairs the file", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: Date.now() });
    const file = join(dir, "candles_BTCUSDT_1h.csv");
    const recorder = Bun.spawn(["sleep", "30"]);
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: recorder.pid, hostname: hostname() }));
    const refused = await gaps("candles_BTCUSDT_1h.csv", "--fill", "--rest-url", rest.url);
    recorder.kill();
    await recorder.exited;
    expect(refused.code).toBe(2);
    expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain(`pid ${recorder.pid}`);
    expect(rest.requests).toHaveLength(0);

    const filled = await gaps("candles_BTCUSDT_1h.csv", "--fill", "--rest-url", rest.url, "--json");
    expect(filled.code).toBe(0);
    expect(JSON.parse(filled.stdout)).toMatchObject({ rows: 6, gaps: [] });
    expect(readFileSync(`${file}.bak`, "utf8")).toBe(readFileSync(join(FIXTURES, "gap-1h.csv"), "utf8"));
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test("--help lists the contract's flags", async () => {
    const { code, stdout } = await gaps("--help");
    expect(code).toBe(0);
    for (const flag of ["--interval", "--symbol", "--since", "--until", "--json", "--fill", "--verify", "--rest-url"]) expect(stdout).toContain(flag);
  });
});
