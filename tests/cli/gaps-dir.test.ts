import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, runBinary, ROOT } from "../helpers/binary.ts";
import { candlePath, DIR_FILES, DIR_ROWS, PLANTED } from "../candles/candle-dir.ts";
import { lineStarts, RANGE_BYTES, SPLIT_MIN_BYTES } from "../../src/candles/audit-split.ts";
import { availableParallelism } from "node:os";
import { writeCandleDir } from "../candles/candle-dir.ts";

let dir: string;
let market: string;
const TOTAL = `total: ${DIR_FILES} files, ${DIR_FILES * DIR_ROWS - PLANTED.gap.missing} candles; gaps 1 (3 missing), duplicates 1, out of order 1, misaligned 0, corrupt 1, head missing 0, tail missing 0; 4 with findings, 0 unreadable`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gaps-dir-"));
  market = join(dir, "market");
  writeCandleDir(market);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `resilience gaps` from the sources, as `npm run dev` runs it. */
async function gaps(...args: string[]) {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/cli.ts"), "gaps", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The per-file summary lines (findings are indented), without the total. */
const fileLines = (stdout: string) => stdout.trimEnd().split("\n").filter((l) => !l.startsWith("  ") && !l.startsWith("total: "));

describe("resilience gaps DIR", () => {
  test("audits every candle file under it in path order, each planted finding at its line, and ends with one total line", async () => {
    const { code, stdout, stderr } = await gaps(market);
    expect([code, stderr]).toEqual([1, ""]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(TOTAL);
    expect(lines.filter((l) => l.startsWith("total: "))).toHaveLength(1);
    expect(fileLines(stdout).map((l) => l.slice(0, l.indexOf(": ")))).toEqual(Array.from({ length: DIR_FILES }, (_, i) => candlePath(market, i)));
    const findingsOf = (index: number) => {
      const at = lines.findIndex((l) => l.startsWith(`${candlePath(market, index)}: `));
      const rest = lines.slice(at + 1);
      return rest.slice(0, rest.findIndex((l) => !l.startsWith("  ")));
    };
    expect(findingsOf(PLANTED.gap.file)).toEqual([`  line ${PLANTED.gap.line}: gap of 3 2024-01-01T08:20:00Z .. 2024-01-01T08:22:00Z, between 2024-01-01T08:19:00Z and 2024-01-01T08:23:00Z: not verified`]);
    expect(findingsOf(PLANTED.duplicate.file)).toEqual(["  line 1003: duplicate 2024-01-01T16:40:00Z on lines 1002, 1003, identical values"]);
    expect(findingsOf(PLANTED.corrupt.file)).toEqual([`  line ${PLANTED.corrupt.line}: corrupt: 2 fields, expected 6`]);
    expect(findingsOf(PLANTED.outOfOrder.file)).toEqual([`  line ${PLANTED.outOfOrder.line}: out of order 2024-01-01T01:40:00Z (after a later candle)`]);
    expect(findingsOf(0)).toEqual([]);
  }, 60_000);

  test("--json: one object per file per line in path order, no total on stdout, the same with --jobs 1", async () => {
    const all = await gaps(market, "--json");
    expect([all.code, all.stderr]).toEqual([1, ""]);
    const records = all.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(records.map((r) => r.file)).toEqual(Array.from({ length: DIR_FILES }, (_, i) => candlePath(market, i)));
    expect(records[PLANTED.duplicate.file].duplicates).toEqual([{ time: "2024-01-01T16:40:00Z", lines: [1002, 1003], conflicting: false }]);
    expect(records[PLANTED.outOfOrder.file].out_of_order).toEqual([{ time: "2024-01-01T01:40:00Z", line: 103 }]);
    const one = await gaps(market, "--json", "--jobs", "1");
    expect(one.stdout).toBe(all.stdout);
  }, 60_000);

  test("files and directories mixed: in command-line order, a directory's files by path, exit the worst", async () => {
    const clean = candlePath(market, 0);
    const { code, stdout, stderr } = await gaps(join(dir, "no-such.csv"), join(market, "sub"), clean);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split("\n")).toEqual([`resilience: ${join(dir, "no-such.csv")}: cannot read it (no such file)`]);
    expect(fileLines(stdout).map((l) => l.slice(0, l.indexOf(": ")))).toEqual([...Array.from({ length: DIR_FILES / 2 }, (_, i) => candlePath(market, DIR_FILES / 2 + i)), clean]);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      `total: ${DIR_FILES / 2 + 2} files, ${(DIR_FILES / 2 + 1) * DIR_ROWS} candles; gaps 0, duplicates 0, out of order 1, misaligned 0, corrupt 1, head missing 0, tail missing 0; 2 with findings, 1 unreadable`,
    );
  }, 60_000);

  test("one file alone prints no total line, as before", async () => {
    const { code, stdout } = await gaps(candlePath(market, 0));
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  });

  test.each([
    [["--jobs", "0"], '--jobs: "0" is not a positive whole number'],
    [["--jobs", "two"], '--jobs: "two" is not a positive whole number'],
  ])("usage errors exit 2: %j", async (args, message) => {
    const { code, stdout, stderr } = await gaps(market, ...args);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr).toBe(`resilience: ${message}; e.g. --jobs 2\n`);
  });

  test("a directory with no candle file: exit 2, one line", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty, { recursive: true });
    const { code, stdout, stderr } = await gaps(empty);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toStartWith(`resilience: ${empty}: no candle file in this directory`);
  });
});

describe("dist/resilience gaps DIR", () => {
  beforeAll(() => void ensureBinary(), 180_000);

  test("the compiled binary audits the directory on its worker processes", async () => {
    const text = await runBinary(["gaps", market], { cwd: dir, timeoutMs: 60_000 });
    expect([text.code, text.stderr]).toEqual([1, ""]);
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe(TOTAL);
    expect(text.stdout).toContain(`  line ${PLANTED.gap.line}: gap of 3 `);
    const json = await runBinary(["gaps", market, "--json", "--jobs", "2"], { cwd: dir, timeoutMs: 60_000 });
    const dev = await gaps(market, "--json", "--jobs", "1");
    expect(json.code).toBe(1);
    expect(json.stdout).toBe(dev.stdout);
  }, 120_000);
});

describe("dist/resilience gaps on one file large enough to split", () => {
  beforeAll(() => void ensureBinary(), 180_000);

  test("damage planted at every seam between ranges: the workers print what one pass prints", async () => {
    // Rows of one length, so replacing one moves no cut: the seams are where the workers will cut.
    const header = "timestamp,open,high,low,close,volume\n";
    const width = `${fixedRow(0)}\n`.length;
    const rows = Math.ceil((1.5 * Math.max(SPLIT_MIN_BYTES, 2 * RANGE_BYTES)) / width);
    const size = header.length + rows * width;
    const file = join(dir, "candles_SPLIT_1m.csv");
    writeRows(file, header, rows, () => undefined);
    const seams = lineStarts(file, size, Math.max(availableParallelism(), Math.ceil(size / RANGE_BYTES))).slice(1).map((start) => (start - header.length) / width);
    expect(seams.length).toBeGreaterThanOrEqual(2);
    expect(seams.every(Number.isInteger)).toBe(true);
    // The first row of each range is lost, a copy of a row of an earlier range in its place.
    writeRows(file, header, rows, (i) => (seams.includes(i) ? fixedRow(i - 20_000) : undefined));
    const split = await runBinary(["gaps", file, "--json", "--interval", "1m"], { cwd: dir, timeoutMs: 60_000 });
    const whole = await runBinary(["gaps", file, "--json", "--interval", "1m", "--jobs", "1"], { cwd: dir, timeoutMs: 60_000 });
    expect([split.code, split.stderr]).toEqual([1, ""]);
    expect(split.stdout).toBe(whole.stdout);
    const report = JSON.parse(split.stdout);
    expect(report.gaps.map((g: { line: number }) => g.line)).toEqual(seams.map((i) => i + 3));
    expect(report.duplicates.map((d: { lines: number[] }) => d.lines)).toEqual(seams.map((i) => [i - 20_000 + 2, i + 2]));
    expect(report.rows).toBe(rows - seams.length);
  }, 120_000);
});

/** `rows` rows after `header`, row `i` replaced by `replace(i)` when it gives one. */
function writeRows(file: string, header: string, rows: number, replace: (i: number) => string | undefined): void {
  const fd = openSync(file, "w");
  let text = header;
  for (let i = 0; i < rows; i++) {
    text += `${replace(i) ?? fixedRow(i)}\n`;
    if (text.length > 1 << 20) {
      writeSync(fd, text);
      text = "";
    }
  }
  writeSync(fd, text);
  closeSync(fd);
}

/** A 1m row of the seed's format whose length does not depend on `i`. */
function fixedRow(i: number): string {
  const p = 200 + (i % 50);
  return `${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().slice(0, 19)}Z,${p}.00,${p + 1}.00,${p - 1}.00,${p}.50,1.25`;
}
