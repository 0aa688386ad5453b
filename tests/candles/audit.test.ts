import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { auditFile } from "../../src/candles/audit-file.ts";
import { createCandleAudit, type AuditOptions } from "../../src/candles/audit.ts";
import { renderGapsJson } from "../../src/render/gaps-report.ts";
import type { Interval } from "../../src/time/intervals.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/gaps");

/** The audit of a fixture as the `--json` record (minus the file name). */
function audit(name: string, options: AuditOptions = {}) {
  const { file: _file, ...json } = JSON.parse(renderGapsJson({ file: name, report: auditFile(join(FIXTURES, name), options) }));
  return json;
}

const NOTHING = { gaps: [], duplicates: [], out_of_order: [], misaligned: [], corrupt: [], head_missing: 0, tail_missing: 0 };

describe("audit of crafted files", () => {
  test.each<[string, string, Interval | undefined, Record<string, unknown>]>([
    ["the seed's own output (CRLF, 2 decimals)", "seed-clean-1h.csv", "1h", { rows: 3, first: "2026-01-27T14:00:00Z", last: "2026-01-27T16:00:00Z", ...NOTHING }],
    [
      "a hole of two candles",
      "gap-1h.csv",
      "1h",
      {
        rows: 4,
        gaps: [{ prev: "2024-01-01T01:00:00Z", next: "2024-01-01T04:00:00Z", first_missing: "2024-01-01T02:00:00Z", last_missing: "2024-01-01T03:00:00Z", missing: 2, line: 4, kind: "unknown" }],
      },
    ],
    ["an identical duplicate (not a '-1 missing' gap)", "duplicate-identical-1h.csv", "1h", { rows: 3, gaps: [], duplicates: [{ time: "2024-01-01T01:00:00Z", lines: [3, 4], conflicting: false }] }],
    ["a duplicate with different values", "duplicate-conflicting-1h.csv", "1h", { rows: 3, gaps: [], out_of_order: [], duplicates: [{ time: "2024-01-01T01:00:00Z", lines: [3, 5], conflicting: true }] }],
    ["a late row that fills its own hole", "late-fills-hole-1h.csv", "1h", { rows: 4, gaps: [], out_of_order: [{ time: "2024-01-01T01:00:00Z", line: 4 }] }],
    [
      "a late row before the first one opens a hole behind it",
      "late-before-first-1h.csv",
      "1h",
      {
        rows: 3,
        first: "2024-01-01T00:00:00Z",
        out_of_order: [{ time: "2024-01-01T00:00:00Z", line: 4 }],
        gaps: [{ prev: "2024-01-01T00:00:00Z", next: "2024-01-01T02:00:00Z", first_missing: "2024-01-01T01:00:00Z", last_missing: "2024-01-01T01:00:00Z", missing: 1, line: 2, kind: "unknown" }],
      },
    ],
    [
      "a misaligned row is not the candle it stands near",
      "misaligned-1h.csv",
      "1h",
      { rows: 2, misaligned: [{ time: "2024-01-01T15:30:00Z", line: 3 }], gaps: [expect.objectContaining({ first_missing: "2024-01-01T15:00:00Z", missing: 1, line: 4 })] },
    ],
    [
      "a crash-torn row with the next row glued onto it: the torn candle is lost, the glued one kept",
      "torn-glued-1h.csv",
      "1h",
      {
        rows: 4,
        corrupt: [{ line: 4, reason: expect.stringContaining("torn row for 2024-01-01T05:00:00Z") }],
        gaps: [{ prev: "2024-01-01T04:00:00Z", next: "2024-01-01T06:00:00Z", first_missing: "2024-01-01T05:00:00Z", last_missing: "2024-01-01T05:00:00Z", missing: 1, line: 4, kind: "unknown" }],
      },
    ],
    ["a last row without its newline is torn, not trusted", "torn-tail-1h.csv", "1h", { rows: 2, last: "2024-01-01T01:00:00Z", corrupt: [{ line: 4, reason: expect.stringContaining("no newline") }] }],
    [
      "corrupt rows: field count, number, time, OHLC sanity, empty line, repeated header",
      "corrupt-rows-1h.csv",
      "1h",
      {
        rows: 2,
        corrupt: [
          { line: 3, reason: "5 fields, expected 6" },
          { line: 4, reason: 'bad number in high: "abc"' },
          { line: 5, reason: 'bad time in timestamp: "2024-13-01T03:00:00Z"' },
          { line: 6, reason: "low 100.6 is above open 100" },
          { line: 7, reason: "negative volume -1" },
          { line: 8, reason: "high 100.1 is below close 100.5" },
          { line: 9, reason: "empty line" },
          { line: 10, reason: "header repeated inside the file" },
        ],
        gaps: [expect.objectContaining({ first_missing: "2024-01-01T01:00:00Z", last_missing: "2024-01-01T06:00:00Z", missing: 6 })],
      },
    ],
    ["UTC offsets and zone-less times are converted, not a crash", "offsets-1h.csv", "1h", { rows: 5, first: "2024-01-01T00:00:00Z", last: "2024-01-01T04:00:00Z", ...NOTHING }],
    [
      "the 2023-03-24 halt: a zero-volume candle with an odd close time is valid, 13:00 is missing",
      "BTCUSDT-1h-2023-03-24.csv",
      undefined,
      {
        interval: "1h",
        rows: 3,
        corrupt: [],
        gaps: [{ prev: "2023-03-24T12:00:00Z", next: "2023-03-24T14:00:00Z", first_missing: "2023-03-24T13:00:00Z", last_missing: "2023-03-24T13:00:00Z", missing: 1, line: 3, kind: "unknown" }],
      },
    ],
    [
      "calendar months: February 15 is misaligned, March is missing",
      "month-1M.csv",
      "1M",
      {
        rows: 4,
        misaligned: [{ time: "2024-02-15T00:00:00Z", line: 5 }],
        gaps: [{ prev: "2024-02-01T00:00:00Z", next: "2024-04-01T00:00:00Z", first_missing: "2024-03-01T00:00:00Z", last_missing: "2024-03-01T00:00:00Z", missing: 1, line: 6, kind: "unknown" }],
      },
    ],
    [
      "weeks start on Monday: a Sunday is misaligned, the week of the 15th is missing",
      "week-1w.csv",
      "1w",
      {
        rows: 3,
        misaligned: [{ time: "2024-01-14T00:00:00Z", line: 4 }],
        gaps: [expect.objectContaining({ first_missing: "2024-01-15T00:00:00Z", missing: 1, line: 5 })],
      },
    ],
    [
      "a Binance dump with microsecond times",
      "BTCUSDT-1m-2025-01-01.csv",
      undefined,
      { interval: "1m", rows: 6, first: "2025-01-01T00:00:00Z", last: "2025-01-01T00:06:00Z", corrupt: [], gaps: [expect.objectContaining({ first_missing: "2025-01-01T00:04:00Z", missing: 1, line: 5 })] },
    ],
    [
      "our full format: a close time outside its candle is corrupt",
      "full-1h.csv",
      "1h",
      { rows: 3, corrupt: [{ line: 4, reason: "close_time 2024-01-01T03:10:00Z is outside its candle" }], gaps: [expect.objectContaining({ first_missing: "2024-01-01T02:00:00Z", missing: 1 })] },
    ],
    ["a header-only file", "header-only.csv", undefined, { rows: 0, first: null, last: null, interval: null, ...NOTHING }],
    ["an empty file", "empty.csv", undefined, { rows: 0, first: null, last: null, interval: null, ...NOTHING }],
    [
      "a newest-first file: every row after the first is late, nothing is missing",
      "newest-first-1h.csv",
      "1h",
      { rows: 4, gaps: [], out_of_order: [{ time: "2024-01-01T02:00:00Z", line: 3 }, { time: "2024-01-01T01:00:00Z", line: 4 }, { time: "2024-01-01T00:00:00Z", line: 5 }] },
    ],
    ["NUL bytes left by a crash", "nul-tail-1h.csv", "1h", { rows: 3, gaps: [], corrupt: [{ line: 4, reason: "NUL bytes (a torn write?)" }] }],
    ["the interval inferred from the data", "no-interval-in-name.csv", undefined, { interval: "15m", rows: 4, gaps: [expect.objectContaining({ first_missing: "2024-01-01T00:30:00Z", missing: 1 })] }],
  ])("%s", (_what, name, interval, expected) => {
    expect(audit(name, { interval })).toMatchObject(expected);
  });

  test.each([
    ["binary.csv", "binary data, not a candle CSV file"],
    ["not-candles.csv", 'not a candle file (line 1 is neither a known header nor a candle row: "name,email")'],
  ])("%s is refused with one line", (name, message) => {
    expect(() => auditFile(join(FIXTURES, name))).toThrow(message);
  });

  test("says when the interval was inferred, not when it was given or in the name", () => {
    expect(auditFile(join(FIXTURES, "gap-1h.csv")).intervalInferred).toBe(true);
    expect(auditFile(join(FIXTURES, "gap-1h.csv"), { interval: "1h" }).intervalInferred).toBe(false);
    expect(auditFile(join(FIXTURES, "BTCUSDT-1h-2023-03-24.csv")).intervalInferred).toBe(false);
  });

  test("a file whose data fits no interval asks for --interval", () => {
    expect(() => auditFile(join(FIXTURES, "corrupt-rows-1h.csv"))).toThrow("give --interval");
  });
});

describe("streaming", () => {
  const fixtures = ["torn-glued-1h.csv", "corrupt-rows-1h.csv", "BTCUSDT-1m-2025-01-01.csv", "duplicate-conflicting-1h.csv", "seed-clean-1h.csv", "full-1h.csv"];

  test.each(fixtures)("%s gives the same findings whatever the chunk size", (name) => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, name)));
    const whole = createCandleAudit({ interval: name.includes("1m") ? "1m" : "1h" });
    whole.push(bytes);
    const expected = whole.end();
    for (const size of [1, 2, 3, 7, 64]) {
      const audit = createCandleAudit({ interval: name.includes("1m") ? "1m" : "1h" });
      for (let i = 0; i < bytes.length; i += size) audit.push(bytes.slice(i, i + size));
      const got = audit.end();
      expect({ ...got, duplicates: got.duplicates.map((d) => d.lines) }).toEqual({ ...expected, duplicates: expected.duplicates.map((d) => d.lines) });
    }
  });

  test("a duplicate far behind the recent rows still names its first line", () => {
    const rows = ["timestamp,open,high,low,close,volume"];
    const start = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 200_000; i++) rows.push(`${new Date(start + i * 60_000).toISOString().slice(0, 19)}Z,1,2,0.5,1.5,3`);
    rows.push(`${new Date(start + 5 * 60_000).toISOString().slice(0, 19)}Z,1,2,0.5,1.5,3`);
    const audit = createCandleAudit({ interval: "1m" });
    audit.push(new TextEncoder().encode(rows.join("\n") + "\n"));
    const report = audit.end();
    expect(report.rows).toBe(200_000);
    expect(report.duplicates).toEqual([{ time: start + 5 * 60_000, lines: [7, 200_002], conflicting: false }]);
    expect(report.outOfOrder).toEqual([]);
  });

  test("--since and --until report the missing head and tail, and only closed candles are due", () => {
    const file = join(FIXTURES, "gap-1h.csv"); // 00:00 .. 05:00 with 02:00, 03:00 missing
    const now = Date.UTC(2024, 0, 1, 9, 30);
    const report = auditFile(file, { interval: "1h", since: Date.UTC(2023, 11, 31, 21, 30), until: now, now });
    // head: 22:00 and 23:00 (21:30 rounds up); tail: 06:00 .. 08:00 (09:00 is still open)
    expect([report.headMissing, report.tailMissing]).toEqual([2, 3]);
    expect(auditFile(file, { interval: "1h", since: Date.UTC(2024, 0, 1), until: Date.UTC(2024, 0, 1, 5) })).toMatchObject({ headMissing: 0, tailMissing: 0 });
    expect(auditFile(join(FIXTURES, "header-only.csv"), { interval: "1h", since: Date.UTC(2024, 0, 1), until: Date.UTC(2024, 0, 1, 23) })).toMatchObject({ headMissing: 24, tailMissing: 0 });
  });
});
