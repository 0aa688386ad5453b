/**
 * Differential test of the audit's fast path (audit-fast.ts): the same bytes pushed
 * whole (the fast path reads the plain rows) and in 200-byte chunks (it never runs:
 * it needs FAST_ROW_BYTES left in the chunk) must give deep-equal reports, clean or
 * damaged, and the damage must still be found.
 */
import { describe, expect, test } from "bun:test";
import { FAST_ROW_BYTES, scanInOrder } from "../../src/candles/audit-fast.ts";
import { MAX_LINE_BYTES } from "../../src/candles/audit-lines.ts";
import { BASIC_COLUMNS, DUMP_COLUMNS, FIELD_COUNT, FULL_COLUMNS, type CandleFormat } from "../../src/candles/audit-row.ts";
import { createCandleAudit, type AuditOptions, type AuditReport } from "../../src/candles/audit.ts";
import { UserError } from "../../src/errors.ts";

const NOW = Date.UTC(2030, 0, 1);
const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const ROWS = 300;
/** Where the damage goes: far enough in for the fast path to be running. */
const M = 150;
const SMALL_CHUNK = 200;
const WITH_1M: AuditOptions = { interval: "1m", now: NOW };

type Variant = { name: string; format: CandleFormat; eol: string; header: boolean; micros?: boolean };
const VARIANTS: Variant[] = [
  { name: "basic, CRLF", format: "basic", eol: "\r\n", header: true },
  { name: "full, LF", format: "full", eol: "\n", header: true },
  { name: "dump, LF, no header", format: "dump", eol: "\n", header: false },
  { name: "dump, CRLF, header", format: "dump", eol: "\r\n", header: true },
  { name: "dump in µs (Binance's spot files since 2025)", format: "dump", eol: "\n", header: false, micros: true },
];
const HEADER: Record<CandleFormat, string> = { basic: BASIC_COLUMNS.join(","), full: FULL_COLUMNS.join(","), dump: DUMP_COLUMNS.join(",") };

type Col = "time" | "open" | "high" | "low" | "close" | "volume" | "closeTime" | "quote" | "trades" | "tbb" | "tbq" | "ignore";
const BASIC: Col[] = ["time", "open", "high", "low", "close", "volume"];
const FULL: Col[] = [...BASIC, "closeTime", "quote", "trades", "tbb", "tbq"];
const COLS: Record<CandleFormat, Col[]> = { basic: BASIC, full: FULL, dump: [...FULL, "ignore"] };

/** A clean candle file as lines (each with its line ending), to damage; row `i` opens at `t(i)`, on line `line(i)`. */
class Fixture {
  readonly lines: string[] = [];
  constructor(readonly v: Variant, readonly n = ROWS, readonly start = T0, readonly step = MIN) {
    if (v.header) this.lines.push(HEADER[v.format] + v.eol);
    for (let i = 0; i < n; i++) this.lines.push(this.row(i) + v.eol);
  }
  get head(): number { return this.v.header ? 1 : 0; }
  t(i: number): number { return this.start + i * this.step; }
  line(i: number): number { return this.head + i + 1; }
  row(i: number, over: Partial<Record<Col, string>> = {}, t = this.t(i)): string {
    const p = 100 + (i % 7) * 0.25;
    const dump = this.v.format === "dump";
    const value: Record<Col, string> = {
      time: dump ? `${t}${this.v.micros ? "000" : ""}` : isoSec(t),
      open: p.toFixed(2), high: (p + 1).toFixed(2), low: (p - 1).toFixed(2), close: (p + 0.5).toFixed(2), volume: `${10 + (i % 3)}.34`,
      closeTime: dump ? `${t + this.step - 1}${this.v.micros ? "999" : ""}` : new Date(t + this.step - 1).toISOString(),
      quote: "1234.5678", trades: `${100 + (i % 10)}`, tbb: "5.5", tbq: "550.25", ignore: "0",
      ...over,
    };
    return COLS[this.v.format].map((c) => value[c]).join(",");
  }
  put(i: number, text: string, eol = this.v.eol): void { this.lines[this.head + i] = text + eol; }
  add(i: number, text: string, eol = this.v.eol): void { this.lines.splice(this.head + i, 0, text + eol); }
  drop(i: number, count = 1): void { this.lines.splice(this.head + i, count); }
  bytes(): Uint8Array { return new TextEncoder().encode(this.lines.join("")); }
}

/** What the fuzz inserts or writes over. */
const EDIT_BYTES = "0123456789,.-:\r\nTZ";

describe("the fast path", () => {
  for (const v of VARIANTS) {
    test(`takes nearly every row of a clean 5,000-row file, with the same report (${v.name})`, () => {
      const f = new Fixture(v, 5000);
      expect(SMALL_CHUNK).toBeLessThan(FAST_ROW_BYTES); // else the "general path only" side is not
      expect(fastRows(f)).toBeGreaterThan(5000 - 20);
      for (const options of [WITH_1M, { now: NOW }]) {
        const r = auditBoth(f.bytes(), options);
        expectClean(r, f);
        expect([r.first, r.last, r.intervalInferred]).toEqual([f.t(0), f.t(4999), !options.interval]);
      }
    });
  }

  test("a dump in µs is taken once the file showed µs (the general path records that on its first row), with the same report", () => {
    const f = new Fixture(VARIANTS[2]!, 2000);
    for (let i = 0; i < f.n; i++) f.put(i, f.row(i, { time: `${f.t(i)}000`, closeTime: `${f.t(i + 1) - 1}000` }));
    expect(fastRows(f)).toBe(0);
    expect(fastRows(f, true)).toBeGreaterThan(2000 - 20);
    const r = auditBoth(f.bytes(), WITH_1M);
    expectClean(r, f);
    expect(r.micros).toBe(true);
  });
});

describe("chunking, outside the fast path", () => {
  test("control bytes in a long first line, past the first 200 bytes", () => {
    const bytes = new TextEncoder().encode(`${"x".repeat(250)}\0\0\0\n${new Fixture(VARIANTS[0]!, 5).lines.slice(1).join("")}`);
    expect(auditInChunks(bytes, WITH_1M, SMALL_CHUNK)).toEqual(auditInChunks(bytes, WITH_1M, bytes.length)); // whole: "binary data", not "not a candle file"
  });
});

describe("planted damage is found the same way by both paths", () => {
  for (const c of CASES()) {
    for (const v of VARIANTS.filter((v) => !c.only || c.only(v))) {
      test(`${c.name} (${v.name})`, () => {
        const f = new Fixture(v);
        c.edit(f);
        expect(fastRows(f)).toBeGreaterThanOrEqual(c.at ?? M); // the fast path ran up to the damage
        c.check(auditBoth(f.bytes(), WITH_1M), f);
      });
    }
  }
});

describe("calendar boundaries (the ISO prefix cache)", () => {
  const spans: [string, number, number][] = [
    ["hours, a day, a month and a year (Dec 31 → Jan 1)", Date.UTC(2023, 11, 31, 21, 30), MIN],
    ["Feb 28 → Feb 29 in a leap year", Date.UTC(2024, 1, 28, 21, 30), MIN],
    ["Feb 29 → Mar 1", Date.UTC(2024, 1, 29, 21, 30), MIN],
    ["Feb 28 → Mar 1 in a common year", Date.UTC(2023, 1, 28, 21, 30), MIN],
    ["hourly rows over a year end", Date.UTC(2023, 11, 20), 3_600_000],
    ["hourly rows over a leap day", Date.UTC(2024, 1, 20), 3_600_000],
  ];
  for (const [what, start, step] of spans) {
    for (const v of VARIANTS) {
      test(`${what} (${v.name})`, () => {
        const f = new Fixture(v, ROWS, start, step);
        expect(fastRows(f)).toBeGreaterThan(ROWS - 20);
        const r = auditBoth(f.bytes(), { interval: step === MIN ? "1m" : "1h", now: NOW });
        expectClean(r, f);
        expect([r.first, r.last]).toEqual([start, f.t(ROWS - 1)]);
      });
    }
  }

  for (const v of VARIANTS.filter((v) => v.format !== "dump")) {
    test(`Feb 29 in a common year is a bad time; a day not carried over is a late row (${v.name})`, () => {
      const f = new Fixture(v, ROWS, Date.UTC(2023, 1, 28, 21, 30));
      const midnight = 150; // 2023-03-01T00:00
      f.put(midnight, f.row(midnight, { time: "2023-02-29T00:00:00Z" }));
      f.put(midnight + 60, f.row(midnight + 60, {}, Date.UTC(2023, 1, 28, 1))); // should be 03-01T01:00
      const r = auditBoth(f.bytes(), WITH_1M);
      expect(r.corrupt).toMatchObject([{ line: f.line(midnight), reason: 'bad time in timestamp: "2023-02-29T00:00:00Z"' }]);
      expect(r.outOfOrder).toEqual([{ time: Date.UTC(2023, 1, 28, 1), line: f.line(midnight + 60) }]);
    });
  }
});

describe("with the interval inferred from the data", () => {
  for (const v of VARIANTS) {
    test(`damage after the first 1,000 rows (${v.name})`, () => {
      const f = new Fixture(v, 1500);
      f.put(1400, f.row(1400, { low: "-1.00" }));
      f.add(1301, f.row(1300));
      f.drop(1200, 2);
      const r = auditBoth(f.bytes(), { now: NOW });
      expect(r).toMatchObject({ interval: "1m", intervalInferred: true, rows: 1497, outOfOrder: [], misaligned: [] });
      expect(r.gaps).toMatchObject([{ firstMissing: f.t(1200), missing: 2 }, { firstMissing: f.t(1400), missing: 1 }]);
      expect(r.duplicates).toMatchObject([{ time: f.t(1300) }]);
      expect(r.corrupt).toMatchObject([{ reason: "negative price: low -1" }]);
    });
  }
});

describe("seeded fuzz: random byte and line edits", () => {
  test("300 damaged files give the same report (or the same UserError) both ways", () => {
    const rand = xorshift(0x5eed_1234);
    const pick = (n: number) => Math.floor(rand() * n);
    const starts = [T0, Date.UTC(2023, 11, 31, 23, 30), Date.UTC(2024, 1, 28, 23, 30)];
    const mismatches: unknown[] = [];
    let fastRowsSeen = 0;
    let damaged = 0;
    for (let it = 0; it < 300; it++) {
      const inferred = pick(4) === 0; // the fast path starts after the 1,000 rows inference reads
      const v = VARIANTS[pick(VARIANTS.length)]!;
      const f = new Fixture(v, inferred ? 1050 + pick(300) : 60 + pick(500), starts[pick(starts.length)]);
      fastRowsSeen += fastRows(f);
      let text = f.lines.join("");
      const edits: string[] = [];
      for (let k = 1 + pick(5); k > 0; k--) text = randomEdit(text, pick, edits);
      const bytes = new TextEncoder().encode(text);
      const options = inferred ? { now: NOW } : WITH_1M;
      const whole = auditInChunks(bytes, options, bytes.length);
      const chunked = auditInChunks(bytes, options, SMALL_CHUNK);
      if ("error" in whole || whole.corrupt.length + whole.gaps.length + whole.duplicates.length + whole.outOfOrder.length + whole.misaligned.length > 0) damaged++;
      if (!Bun.deepEquals(whole, chunked)) mismatches.push({ it, variant: v.name, inferred, edits, ...diff(whole, chunked) });
    }
    expect(fastRowsSeen).toBeGreaterThan(300 * 100);
    expect(damaged).toBeGreaterThan(200); // the edits do reach the audit
    expect(mismatches.slice(0, 3)).toEqual([]);
  });
});

// --- the damage, planted at row M ---

interface Case {
  name: string;
  edit(f: Fixture): void;
  check(r: AuditReport, f: Fixture): void;
  only?: (v: Variant) => boolean;
  /** Rows the fast path must take before the damage (M unless said). */
  at?: number;
}
type Over = Partial<Record<Col, string>>;

function CASES(): Case[] {
  const kase = (name: string, edit: Case["edit"], check: Case["check"], only?: Case["only"], at?: number): Case => ({ name, edit, check, only, at });
  const bad = (name: string, over: Over, reason: string | RegExp, only?: Case["only"]) => kase(name, (f) => f.put(M, f.row(M, over)), (r, f) => expectBadRow(r, f, M, reason), only);
  const fine = (name: string, over: (f: Fixture) => Over, only?: Case["only"]) => kase(name, (f) => f.put(M, f.row(M, over(f))), (r, f) => expectClean(r, f), only);
  const fields = (f: Fixture, n: number) => `${n} fields, expected ${FIELD_COUNT[f.v.format]}`;
  const width = (f: Fixture) => FIELD_COUNT[f.v.format];
  const notDump = (v: Variant) => v.format !== "dump";
  const duplicate = (how: string, over: Over) =>
    kase(`an ${how} duplicate row`, (f) => f.add(M + 1, f.row(M, over)), (r, f) => {
      expect(r).toMatchObject({ rows: f.n, gaps: [], outOfOrder: [], corrupt: [] });
      expect(r.duplicates).toEqual([{ time: f.t(M), lines: [f.line(M), f.line(M) + 1], conflicting: false }]); // conflicts are marked later, from the text
    });
  return [
    bad("a negative price", { low: "-99.00" }, "negative price: low -99"),
    bad("a negative volume", { volume: "-5.5" }, "negative volume -5.5"),
    fine("-0 in the volume (and a later field) is zero, not negative", () => ({ volume: "-0", tbq: "-0" })),
    bad("a negative later field", { tbq: "-0.01" }, /^bad number in taker_buy_quote/, (v) => v.format !== "basic"),
    fine("OHLC at mixed scales that are sane", () => ({ open: "100.5", high: "101.000", low: "99", close: "100.50" })),
    bad("OHLC at mixed scales with low above open", { open: "100.5", high: "101", low: "100.60", close: "100.7" }, "low 100.6 is above open 100.5"),
    fine("prices of 16+ digits (the double path)", () => ({ open: "100.00000000000001", high: "101.00000000000000", low: "99.000000000000000", close: "100.5000000000000" })),
    bad("prices of 16+ digits with low above open", { open: "100.5000000000000", high: "101", low: "100.6000000000000", close: "100.7" }, "low 100.6 is above open 100.5"),
    bad("high below close", { open: "100.00", high: "100.10", low: "99.00", close: "100.50" }, "high 100.1 is below close 100.5"),
    kase("a missing field", (f) => f.put(M, f.row(M).replace(/,[^,]*$/, "")), (r, f) => expectBadRow(r, f, M, fields(f, width(f) - 1))),
    kase("an extra field", (f) => f.put(M, `${f.row(M)},1`), (r, f) => expectBadRow(r, f, M, fields(f, width(f) + 1))),
    kase("a torn row with the next row glued on", (f) => (f.put(M, f.row(M).slice(0, 25) + f.row(M + 1)), f.drop(M + 1)), (r, f) => glued(r, f, /fields, expected 12/)),
    kase("a row ending in CR alone, the next row after it", (f) => (f.put(M, `${f.row(M)}\r${f.row(M + 1)}`), f.drop(M + 1)), (r, f) => glued(r, f, "23 fields, expected 12")),
    kase("an empty line", (f) => f.add(M, ""), (r, f) => expectExtraLine(r, f, "empty line")),
    kase("a line of NUL bytes", (f) => f.put(M, "\0".repeat(60)), (r, f) => expectBadRow(r, f, M, "NUL bytes (a torn write?)")),
    kase("a line over 64 KiB", (f) => f.add(M, "7".repeat(MAX_LINE_BYTES + 1)), (r, f) => expectExtraLine(r, f, /^line too long/)),
    kase("a line just under 64 KiB", (f) => f.add(M, "7".repeat(MAX_LINE_BYTES - 1)), (r, f) => expectExtraLine(r, f, fields(f, 1))),
    kase("a header line inside the file", (f) => f.add(M, HEADER[f.v.format]), (r, f) =>
      expectExtraLine(r, f, f.v.header ? "header repeated inside the file" : 'bad time in open_time: "open_time"')),
    duplicate("identical", {}),
    duplicate("conflicting", { close: "100.25", volume: "1.00" }),
    kase("a gap of three candles", (f) => f.drop(M, 3), (r, f) => {
      expect(r).toMatchObject({ rows: f.n - 3, corrupt: [], duplicates: [], outOfOrder: [] });
      expect(r.gaps).toEqual([{ prev: f.t(M - 1), next: f.t(M + 3), firstMissing: f.t(M), lastMissing: f.t(M + 2), missing: 3, line: f.line(M), kind: "unknown" }]);
    }),
    kase("two rows swapped", (f) => (f.put(M, f.row(M + 1)), f.put(M + 1, f.row(M))), (r, f) => {
      expect(r).toMatchObject({ rows: f.n, gaps: [], corrupt: [], duplicates: [] });
      expect(r.outOfOrder).toEqual([{ time: f.t(M), line: f.line(M + 1) }]);
    }),
    kase("a time 30 s off the interval", (f) => f.put(M, f.row(M, {}, f.t(M) + 30_000)), (r, f) => {
      expect(r.misaligned).toEqual([{ time: f.t(M) + 30_000, line: f.line(M) }]);
      expect(r.gaps).toMatchObject([{ firstMissing: f.t(M), missing: 1 }]);
    }),
    kase("a close_time outside its candle", (f) => f.put(M, f.row(M, { closeTime: notDump(f.v) ? isoSec(f.t(M + 1) + 10_000) : `${f.t(M + 1) + 10_000}` })),
      (r, f) => expectBadRow(r, f, M, `close_time ${isoSec(f.t(M + 1) + 10_000)} is outside its candle`), (v) => v.format !== "basic"),
    fine("a time at +02:00, in order", (f) => ({ time: `${isoSec(f.t(M) + 7_200_000).slice(0, 19)}+02:00` }), notDump),
    fine("a time without its Z", (f) => ({ time: isoSec(f.t(M)).slice(0, 19) }), notDump),
    fine("a space instead of the T", (f) => ({ time: isoSec(f.t(M)).replace("T", " ") }), notDump),
    kase("rows cut off inside a UTC offset", (f) => { for (let i = M; i < M + 15; i += 3) f.put(i, `${isoSec(f.t(i)).slice(0, 19)}+0`); }, (r, f) => {
      expect(r.rows).toBe(f.n - 5);
      expect(r.corrupt.map((c) => [c.reason, c.time])).toEqual(Array(5).fill([fields(f, 1), undefined])); // no open time: the offset is cut off
    }, notDump),
    kase("a row with µs times", (f) => f.put(M, f.row(M, { time: `${f.t(M)}000`, closeTime: `${f.t(M + 1) - 1}000` })),
      (r, f) => (expectClean(r, f), expect(r.micros).toBe(true)), (v) => v.format === "dump"),
    kase("mixed line endings", (f) => { for (const i of [M, M + 2, M + 3]) f.put(i, f.row(i), f.v.eol === "\n" ? "\r\n" : "\n"); },
      (r, f) => (expectClean(r, f), expect(r.crlf).toBe(f.v.eol === "\r\n"))),
    kase("a last row without its newline", (f) => f.put(f.n - 1, f.row(f.n - 1), ""), (r, f) => {
      expect(r.rows).toBe(f.n - 1);
      expect(r.corrupt).toEqual([{ line: f.line(f.n - 1), reason: "torn row: no newline at the end of the file", time: f.t(f.n - 1) }]);
    }),
    kase("a BOM at the start", (f) => (f.lines[0] = `\uFEFF${f.lines[0]}`), (r, f) => (expectClean(r, f), expect(r.headerLine).toBe(f.v.header ? 1 : null)), undefined, 0),
  ];
}

/** Row M is lost, row M + 1 is kept when a torn ISO row has it glued on; a dump loses both. */
function glued(r: AuditReport, f: Fixture, dumpReason: string | RegExp): void {
  if (f.v.format !== "dump") return expectBadRow(r, f, M, `torn row for ${isoSec(f.t(M))} with the next row glued onto it (that row is kept)`);
  expect(r.corrupt).toMatchObject([{ line: f.line(M), reason: matching(dumpReason) }]);
  expect(r.gaps).toMatchObject([{ firstMissing: f.t(M), missing: 2 }]);
}

const isoSec = (t: number): string => `${new Date(t).toISOString().slice(0, 19)}Z`;

// --- helpers ---

/** Rows `scanInOrder` takes from the file's first row on: how far the fast path gets. */
function fastRows(f: Fixture, micros = !!f.v.micros): number {
  const bytes = f.bytes();
  const from = new TextEncoder().encode(f.lines.slice(0, f.head).join("")).length; // after the header
  return scanInOrder(bytes, from, bytes.length, f.v.format, f.start, f.step, micros);
}

type Outcome = AuditReport | { error: string };

function auditInChunks(bytes: Uint8Array, options: AuditOptions, size: number): Outcome {
  const audit = createCandleAudit(options);
  try {
    for (let i = 0; i < bytes.length; i += Math.max(size, 1)) audit.push(bytes.slice(i, i + size));
    return audit.end();
  } catch (err) {
    if (err instanceof UserError) return { error: err.message };
    throw err;
  }
}

/** The report of `bytes` pushed whole (fast path) after checking it equals the one in small chunks (general path). */
function auditBoth(bytes: Uint8Array, options: AuditOptions): AuditReport {
  const whole = auditInChunks(bytes, options, bytes.length);
  expect(auditInChunks(bytes, options, SMALL_CHUNK)).toEqual(whole);
  if ("error" in whole) throw new Error(`refused: ${whole.error}`);
  return whole;
}

function expectClean(r: AuditReport, f: Fixture): void {
  expect(r).toMatchObject({ format: f.v.format, rows: f.n, gaps: [], duplicates: [], outOfOrder: [], misaligned: [], corrupt: [] });
}

/** Row `i` is the one corrupt line, for `reason`, and its candle is missing. */
function expectBadRow(r: AuditReport, f: Fixture, i: number, reason: string | RegExp): void {
  expect(r.corrupt).toMatchObject([{ line: f.line(i), reason: matching(reason) }]);
  expect(r.gaps).toMatchObject([{ firstMissing: f.t(i), missing: 1 }]);
}

/** A line added before row M is the one corrupt line; no candle is missing. */
function expectExtraLine(r: AuditReport, f: Fixture, reason: string | RegExp): void {
  expect(r.corrupt).toMatchObject([{ line: f.line(M), reason: matching(reason) }]);
  expect(r).toMatchObject({ rows: f.n, gaps: [], duplicates: [], outOfOrder: [] });
}

const matching = (reason: string | RegExp): unknown => (typeof reason === "string" ? reason : expect.stringMatching(reason));

/** One random edit of `text`: a byte deleted, inserted or replaced, or a line duplicated, swapped or dropped. */
function randomEdit(text: string, pick: (n: number) => number, log: string[]): string {
  const kind = pick(6);
  if (kind < 3) {
    const at = pick(text.length);
    const byte = EDIT_BYTES[pick(EDIT_BYTES.length)]!;
    log.push(`${["delete", "insert", "replace"][kind]} ${kind ? JSON.stringify(byte) : ""} at ${at}`);
    return text.slice(0, at) + (kind ? byte : "") + text.slice(kind === 1 ? at : at + 1);
  }
  const lines = text.split("\n");
  const k = pick(lines.length - 1);
  log.push(`${["duplicate", "swap", "drop"][kind - 3]} line ${k + 1}`);
  if (kind === 3) lines.splice(k, 0, lines[k]!);
  else if (kind === 4) lines.splice(k, 2, lines[k + 1]!, lines[k]!);
  else lines.splice(k, 1);
  return lines.join("\n");
}

/** The keys of two reports that differ, with both values. */
function diff(whole: Outcome, chunked: Outcome): Record<string, unknown> {
  if ("error" in whole || "error" in chunked) return { whole, chunked };
  const keys = (Object.keys(whole) as (keyof AuditReport)[]).filter((k) => !Bun.deepEquals(whole[k], chunked[k]));
  return Object.fromEntries(keys.map((k) => [k, { whole: whole[k], chunked: chunked[k] }]));
}

/** xorshift32: a deterministic PRNG in [0, 1). */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32);
}
