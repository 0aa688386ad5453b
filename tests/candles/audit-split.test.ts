import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditReport } from "../../src/candles/audit.ts";
import { auditFile, type AuditFileOptions } from "../../src/candles/audit-file.ts";
import { auditFiles } from "../../src/candles/audit-pool.ts";
import { auditRange, fileHead, joinRanges, lineStarts, planRanges, rangeJobs } from "../../src/candles/audit-split.ts";

const ROOT = join(import.meta.dir, "../..");
const MINUTE = 60_000;
const START = Date.UTC(2024, 0, 1);
const AUDIT: AuditFileOptions = { interval: "1m", now: Date.UTC(2030, 0, 1) };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "audit-split-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The seed's format with every kind of finding, several of them built to straddle
 * whatever seam falls near them: a hole, an identical and a conflicting duplicate (one
 * copy far from the other), a late row filling a hole, a swap, a misaligned and a
 * corrupt row, an empty line.
 */
function damagedLines(): string[] {
  const rows = Array.from({ length: 60 }, (_, i) => row(i));
  rows.splice(10, 3); // hole: rows 10..12 missing
  rows.splice(20, 0, row(24)); // row 24 early: row 23 then comes late, and row 24 again as a duplicate
  rows.splice(30, 0, row(5)); // identical duplicate of an early row, far from it
  rows.splice(35, 0, row(40).replace(/,\d\.25$/, ",9.99")); // conflicting copy ahead of row 40
  rows.splice(41, 2, rows[42]!, rows[41]!); // two rows swapped
  rows.splice(45, 0, `${iso(START + 45 * MINUTE + 30_000)},1.00,1.00,1.00,1.00,1.00`); // misaligned
  rows.splice(48, 0, "2024-01-01T00:47:00Z,oops"); // corrupt
  rows.splice(50, 0, ""); // empty line
  return ["timestamp,open,high,low,close,volume", ...rows];
}

describe("joinRanges: a file split into ranges reports exactly what one pass does", () => {
  test("with one seam at every line start of a damaged file", () => {
    const file = write("candles_SEAM_1m.csv", `${damagedLines().join("\r\n")}\r\n`);
    const whole = auditFile(file, AUDIT);
    expect(whole.gaps.length).toBeGreaterThan(0);
    expect(whole.duplicates.map((d) => d.conflicting)).toContain(true);
    expect(whole.duplicates.map((d) => d.conflicting)).toContain(false);
    expect(whole.outOfOrder.length).toBeGreaterThan(0);
    expect(whole.misaligned).toHaveLength(1);
    expect(whole.corrupt.length).toBeGreaterThanOrEqual(2);
    for (const start of lineOffsets(file).slice(1)) expect({ start, report: splitAudit(file, [0, start]) }).toEqual({ start, report: whole });
  });

  test("with many seams at random line starts (and one range per line)", () => {
    const file = write("candles_SEAMS_1m.csv", `${damagedLines().join("\n")}\n`);
    const whole = auditFile(file, AUDIT);
    const offsets = lineOffsets(file);
    expect(splitAudit(file, offsets)).toEqual(whole);
    let seed = 7;
    for (let round = 0; round < 100; round++) {
      const starts = [0, ...offsets.slice(1).filter(() => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 3) === 0)];
      expect({ starts, report: splitAudit(file, starts) }).toEqual({ starts, report: whole });
    }
  });

  test("a hole exactly at a seam is one gap, reported at the line after it", () => {
    const lines = ["timestamp,open,high,low,close,volume", row(0), row(1), row(5), row(6)];
    const file = write("candles_HOLE_1m.csv", `${lines.join("\n")}\n`);
    const report = splitAudit(file, [0, lineOffsets(file)[3]!]);
    expect(report.gaps).toEqual([expect.objectContaining({ prev: START + MINUTE, next: START + 5 * MINUTE, missing: 3, line: 4 })]);
    expect(report.rows).toBe(4);
  });

  test("a duplicate whose copies lie in two ranges is one finding with both lines", () => {
    const lines = ["timestamp,open,high,low,close,volume", row(0), row(1), row(2), row(2), row(3)];
    const file = write("candles_DUP_1m.csv", `${lines.join("\n")}\n`);
    const report = splitAudit(file, [0, lineOffsets(file)[4]!]);
    expect(report.duplicates).toEqual([{ time: START + 2 * MINUTE, lines: [4, 5], conflicting: false }]);
    expect(report.gaps).toEqual([]);
    expect(report.rows).toBe(4);
  });

  test("a late row in a later range fills the hole an earlier range left", () => {
    const lines = ["timestamp,open,high,low,close,volume", row(0), row(2), row(3), row(1), row(4)];
    const file = write("candles_LATE_1m.csv", `${lines.join("\n")}\n`);
    const report = splitAudit(file, [0, lineOffsets(file)[4]!]);
    expect(report.outOfOrder).toEqual([{ time: START + MINUTE, line: 5 }]);
    expect(report.gaps).toEqual([]);
    expect(report.rows).toBe(5);
  });

  test("Binance dumps (no header, epoch ms) and our 11 columns split the same way", () => {
    const dump = Array.from({ length: 40 }, (_, i) => dumpRow(i));
    dump.splice(20, 1, dumpRow(3)); // row 20 lost, row 3 again
    const dumpFile = write("BTCUSDT-1m-2024-01.csv", `${dump.join("\n")}\n`);
    const full = ["timestamp,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote", ...Array.from({ length: 40 }, (_, i) => fullRow(i))];
    full.splice(15, 0, fullRow(30));
    const fullFile = write("candles_BTCUSDT_1m.csv", `${full.join("\n")}\n`);
    for (const file of [dumpFile, fullFile]) {
      const whole = auditFile(file, AUDIT);
      expect(whole.duplicates).toHaveLength(1);
      for (const start of lineOffsets(file).slice(1)) expect(splitAudit(file, [0, start])).toEqual(whole);
    }
  });

  test("an interval inferred from the head is reported as inferred", () => {
    const lines = ["timestamp,open,high,low,close,volume", ...Array.from({ length: 1_200 }, (_, i) => row(i))];
    lines.splice(900, 1);
    const file = write("prices.csv", `${lines.join("\n")}\n`);
    const whole = auditFile(file, { now: AUDIT.now });
    expect(whole.intervalInferred).toBe(true);
    expect(whole.gaps).toHaveLength(1);
    const offsets = lineOffsets(file);
    const head = fileHead(file, { now: AUDIT.now })!;
    const jobs = rangeJobs(file, head, [0, offsets[500]!, offsets[899]!]);
    expect(joinRanges(jobs, jobs.map((j) => viaJson(auditRange(j, { now: AUDIT.now }))), { now: AUDIT.now })).toEqual(whole);
  });
});

describe("planRanges", () => {
  test("cuts a large file at line starts into about size / rangeBytes ranges", () => {
    const lines = ["timestamp,open,high,low,close,volume", ...Array.from({ length: 20_000 }, (_, i) => row(i))];
    const file = write("candles_BIG_1m.csv", `${lines.join("\n")}\n`);
    const bytes = readFileSync(file);
    const jobs = planRanges(file, bytes.length, 2, AUDIT, { minBytes: 1, rangeBytes: 100_000 })!;
    expect(jobs.length).toBe(Math.ceil(bytes.length / 100_000));
    for (const [k, job] of jobs.entries()) {
      expect(job.start === 0 || bytes[job.start - 1] === 10).toBe(true);
      expect(job.end).toBe(jobs[k + 1]?.start ?? null);
    }
  });

  test("does not split small files, single workers, or files whose head does not tell the interval", () => {
    const file = write("notes-1.csv", `timestamp,open,high,low,close,volume\n${row(0)}\n${row(1)}\n`);
    expect(planRanges(file, 1 << 30, 2, AUDIT)).toBeDefined();
    expect(planRanges(file, 1_000, 2, AUDIT)).toBeUndefined();
    expect(planRanges(file, 1 << 30, 1, AUDIT)).toBeUndefined();
    expect(planRanges(file, 1 << 30, 2, { now: AUDIT.now })).toBeUndefined();
  });

  test("a cut inside a line longer than the search window is dropped, never made mid-line", () => {
    const file = write("candles_LONG_1m.csv", `${row(0)}\n${"x".repeat(3 << 20)}\n${row(1)}\n`);
    const starts = lineStarts(file, 3 << 20, 8);
    const bytes = readFileSync(file);
    for (const start of starts) expect(start === 0 || bytes[start - 1] === 10).toBe(true);
  });
});

describe("auditFiles splits a large file over worker processes", () => {
  test("the report equals the one-pass audit, findings near the seams included", async () => {
    const lines = ["timestamp,open,high,low,close,volume", ...Array.from({ length: 30_000 }, (_, i) => row(i))];
    for (const at of [29_000, 21_000, 14_000, 7_000]) lines.splice(at, 0, row(at - 2_000)); // a copy from far back, in another range
    lines.splice(3_000, 5);
    const file = write("candles_POOL_1m.csv", `${lines.join("\n")}\n`);
    const whole = auditFile(file, AUDIT);
    expect(whole.duplicates).toHaveLength(4);
    const out = [];
    for await (const o of auditFiles([file], { audit: AUDIT, workers: 2, command: [process.execPath, join(ROOT, "src/cli.ts")], split: { minBytes: 1, rangeBytes: 200_000 } })) out.push(o);
    expect(out).toEqual([{ file, report: whole }]);
  });
});

// --- helpers ---

function splitAudit(file: string, starts: number[]): AuditReport {
  const head = fileHead(file, AUDIT);
  if (head === undefined) throw new Error(`${file}: no head`);
  const jobs = rangeJobs(file, head, starts);
  // Each part crosses a process boundary as JSON in real use.
  return joinRanges(jobs, jobs.map((job) => viaJson(auditRange(job, AUDIT))), AUDIT);
}

function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function lineOffsets(file: string): number[] {
  const bytes = readFileSync(file);
  const out = [0];
  for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] === 10) out.push(i + 1);
  return out;
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function iso(t: number): string {
  return `${new Date(t).toISOString().slice(0, 19)}Z`;
}

function row(i: number): string {
  const p = 100 + (i % 50);
  return `${iso(START + i * MINUTE)},${p}.00,${p + 1}.00,${p - 1}.00,${p}.50,${(i % 7) + 1}.25`;
}

function fullRow(i: number): string {
  const t = START + i * MINUTE;
  return `${row(i)},${new Date(t + MINUTE - 1).toISOString()},${i}.5,${i + 1},0.1,0.2`;
}

function dumpRow(i: number): string {
  const t = START + i * MINUTE;
  const p = 100 + (i % 50);
  return `${t},${p}.00,${p + 1}.00,${p - 1}.00,${p}.50,1.25,${t + MINUTE - 1},${i}.5,${i + 1},0.1,0.2,0`;
}
