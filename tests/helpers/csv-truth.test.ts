import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCsvAgainstTruth, closedBetween, openedBetween } from "./csv-truth.ts";

const dir = mkdtempSync(join(tmpdir(), "csv-truth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
/** A candle at every second from T0 on, except the exchange gap at T0 + 7 s. */
const exchange = {
  truth: (_symbol: string, _interval: string, t: number) =>
    t >= T0 && t % 1000 === 0 && t !== T0 + 7000 ? { open: "1", high: "2", low: "0.5", close: String(t / 1000 - T0 / 1000), volume: "3" } : undefined,
};
const row = (t: number) => `${new Date(t).toISOString().slice(0, 19)}Z,1,2,0.5,${t / 1000 - T0 / 1000},3`;

/** A CSV of the exchange's candles from T0 + a s to T0 + b s, both included. */
function csv(name: string, a: number, b: number): string {
  const times = Array.from({ length: b - a + 1 }, (_, i) => T0 + (a + i) * 1000).filter((t) => exchange.truth("X", "1s", t));
  const path = join(dir, name);
  writeFileSync(path, ["timestamp,open,high,low,close,volume", ...times.map(row), ""].join("\n"));
  return path;
}

const expected = { expectFirst: T0 + 2000, expectLast: T0 + 12_000 };

test("a complete file passes, the exchange's own gap included", () => {
  const result = checkCsvAgainstTruth(csv("complete.csv", 2, 12), exchange, "X", "1s", expected);
  expect(result.problems).toEqual([]);
  expect(result.times).toHaveLength(10);
});

test.each([
  ["stopped early", 2, 9, /ends at 2026-01-01T12:00:09Z, expected at 2026-01-01T12:00:12Z \(stopped early: 3 candles missing\)/],
  ["started late", 4, 12, /starts at 2026-01-01T12:00:04Z, expected at 2026-01-01T12:00:02Z \(started late: 2 candles missing\)/],
  ["started too early", 1, 12, /starts at 2026-01-01T12:00:01Z, expected at 2026-01-01T12:00:02Z \(rows nobody expected\)/],
  ["ended after the stop", 2, 13, /ends at 2026-01-01T12:00:13Z, expected at 2026-01-01T12:00:12Z \(rows nobody expected\)/],
])("a file that %s fails", (name, a, b, message) => {
  const result = checkCsvAgainstTruth(csv(`${name}.csv`, a, b), exchange, "X", "1s", expected);
  expect(result.problems.join("\n")).toMatch(message);
});

test("a late start onto an exchange gap is no late start: only candles the exchange has count", () => {
  const result = checkCsvAgainstTruth(csv("after-gap.csv", 8, 12), exchange, "X", "1s", { expectFirst: T0 + 7000, expectLast: T0 + 12_000 });
  expect(result.problems).toEqual([]);
});

test("bounds: one candle of tolerance at each end where the clock cannot tell", () => {
  const path = csv("bounds.csv", 2, 11);
  const stoppedAt = T0 + 12_100; // the close of 12:00:11 may still have been in flight
  const ok = checkCsvAgainstTruth(path, exchange, "X", "1s", { expectFirst: openedBetween("1s", T0 + 1900, T0 + 2300), expectLast: closedBetween("1s", stoppedAt - 250, stoppedAt) });
  expect(ok.problems).toEqual([]);
  const early = checkCsvAgainstTruth(path, exchange, "X", "1s", { expectFirst: T0 + 2000, expectLast: closedBetween("1s", T0 + 13_300, T0 + 13_500) });
  expect(early.problems.join("\n")).toContain("stopped early: 1 candles missing");
});

test("holes, duplicates, wrong values, a missing file: each a problem", () => {
  const path = join(dir, "bad.csv");
  writeFileSync(path, ["timestamp,open,high,low,close,volume", row(T0), row(T0 + 2000), row(T0 + 2000), `${row(T0 + 3000).slice(0, -1)}9`, ""].join("\n"));
  const result = checkCsvAgainstTruth(path, exchange, "X", "1s", { expectFirst: T0, expectLast: T0 + 3000 });
  expect(result.problems).toEqual([
    `${path}: candle 2026-01-01T12:00:01Z is missing`,
    `${path}: 2026-01-01T12:00:02Z is not after the row before (2026-01-01T12:00:02Z)`,
    `${path}: 2026-01-01T12:00:03Z is 1,2,0.5,3,9, the exchange has 1,2,0.5,3,3`,
  ]);
  expect(checkCsvAgainstTruth(join(dir, "none.csv"), exchange, "X", "1s", expected).problems[0]).toBe(`${join(dir, "none.csv")} does not exist`);
});
