import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditFiles, type AuditOutcome } from "../../src/candles/audit-pool.ts";
import { expandCandlePaths } from "../../src/candles/candle-files.ts";
import { UserError } from "../../src/errors.ts";
import { candlePath, DIR_FILES, DIR_ROWS, PLANTED, writeCandleDir } from "./candle-dir.ts";

const ROOT = join(import.meta.dir, "../..");
/** Workers run the sources, as `bun src/cli.ts gaps` would start them. */
const COMMAND = [process.execPath, join(ROOT, "src/cli.ts")];
const AUDIT = { interval: "1m" as const, now: Date.UTC(2030, 0, 1) };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "audit-pool-"));
  writeCandleDir(join(dir, "market"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(files: string[], workers: number, command = COMMAND): Promise<AuditOutcome[]> {
  const out: AuditOutcome[] = [];
  for await (const outcome of auditFiles(files, { audit: AUDIT, workers, command })) out.push(outcome);
  return out;
}

describe("expandCandlePaths", () => {
  test("walks a directory recursively for candle files only, sorted by path", () => {
    const { files, directories } = expandCandlePaths([join(dir, "market")]);
    expect(directories).toBe(1);
    expect(files).toEqual(Array.from({ length: DIR_FILES }, (_, i) => candlePath(join(dir, "market"), i)));
  });

  test("keeps files and directories in command-line order, a file named explicitly whatever its name, each file once", () => {
    const notes = join(dir, "market/sub/notes.csv");
    const first = candlePath(join(dir, "market"), 0);
    const { files } = expandCandlePaths([notes, join(dir, "market/sub"), first, candlePath(join(dir, "market"), 150)]);
    expect(files[0]).toBe(notes);
    expect(files.slice(1, 4)).toEqual([150, 151, 152].map((i) => candlePath(join(dir, "market"), i)));
    expect(files.at(-1)).toBe(first);
    expect(files).toHaveLength(1 + DIR_FILES / 2 + 1);
  });

  test.each([
    ["candles_BTCUSDT_1h.csv", true],
    ["candles_usdm_BTCUSDT_1m.csv", true],
    ["candles_coinm_BTCUSD_PERP_1m.csv", true],
    ["BTCUSDT-1m-2024-01.csv", true],
    ["BTCUSDT-1m-2024-01-31.csv", true],
    ["candles_BTCUSDT_1h.csv.bak", false],
    ["candles_BTCUSDT_1h.csv.repair-12.tmp", false],
    ["notes.csv", false],
  ])("the walk takes %s: %p", (name, taken) => {
    const d = mkdtempSync(join(dir, "names-"));
    writeFileSync(join(d, name), "");
    if (taken) expect(expandCandlePaths([d]).files).toEqual([join(d, name)]);
    else expect(() => expandCandlePaths([d])).toThrow(UserError);
  });

  test("a directory without candle files is one UserError naming it", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(() => expandCandlePaths([empty])).toThrow(`${empty}: no candle file in this directory`);
  });
});

describe("auditFiles on worker processes", () => {
  test("300 files of 2,000 rows: every planted finding at its file and line, in file order, as sequential", async () => {
    const files = expandCandlePaths([join(dir, "market")]).files;
    const parallel = await collect(files, 2);
    expect(parallel.map((o) => o.file)).toEqual(files);
    expect(parallel.every((o) => o.error === undefined)).toBe(true);
    const reports = parallel.map((o) => o.report!);
    const { gap, duplicate, corrupt, outOfOrder } = PLANTED;
    expect(reports[gap.file]!.gaps).toEqual([expect.objectContaining({ line: gap.line, missing: gap.missing, firstMissing: gap.firstMissing, kind: "unknown" })]);
    expect(reports[duplicate.file]!.duplicates).toEqual([{ time: duplicate.time, lines: [...duplicate.lines], conflicting: false }]);
    expect(reports[corrupt.file]!.corrupt.map((c) => c.line)).toEqual([corrupt.line]);
    expect(reports[outOfOrder.file]!.outOfOrder).toEqual([{ time: outOfOrder.time, line: outOfOrder.line }]);
    const planted = new Set<number>([gap.file, duplicate.file, corrupt.file, outOfOrder.file]);
    const withFindings = reports.flatMap((r, i) => (r.gaps.length + r.duplicates.length + r.outOfOrder.length + r.corrupt.length + r.misaligned.length > 0 ? [i] : []));
    expect(new Set(withFindings)).toEqual(planted);
    expect(reports.reduce((n, r) => n + r.rows, 0)).toBe(DIR_FILES * DIR_ROWS - gap.missing);
    // Exactly what one process finds, one file after the other.
    expect(parallel).toEqual(await collect(files, 1));
  }, 60_000);

  test("an unreadable file is its error, in its place, and the others are audited", async () => {
    const market = join(dir, "market");
    const files = [candlePath(market, 0), join(dir, "no-such.csv"), candlePath(market, PLANTED.gap.file), join(market, "sub/notes.csv")];
    const outcomes = await collect(files, 3);
    expect(outcomes.map((o) => o.file)).toEqual(files);
    expect(outcomes.map((o) => o.error === undefined)).toEqual([true, false, true, false]);
    expect(outcomes[1]!.error).toContain("cannot read it (no such file)");
    expect(outcomes[2]!.report!.gaps).toHaveLength(1);
  }, 30_000);

  test("a worker that dies is an error, not a silent stop", async () => {
    const files = [candlePath(join(dir, "market"), 0), candlePath(join(dir, "market"), 1)];
    await expect(collect(files, 2, ["false"])).rejects.toThrow("an audit worker");
  });
});
