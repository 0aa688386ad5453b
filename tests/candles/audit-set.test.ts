import { describe, expect, test } from "bun:test";
import { createCandleSet } from "../../src/candles/audit-set.ts";
import { inferInterval } from "../../src/candles/infer-interval.ts";

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Adds hours (relative to T0) on consecutive lines from line 2; returns the results and the set. */
function feed(hours: number[]) {
  const set = createCandleSet("1h");
  const results = hours.map((h, i) => set.add(T0 + h * H, i + 2));
  return { set, results };
}

describe("createCandleSet", () => {
  test("a sorted run without holes is one run however long", () => {
    const set = createCandleSet("1m");
    for (let i = 0; i < 100_000; i++) set.add(T0 + i * 60_000, i + 2);
    expect([set.runs(), set.count(), set.holes()]).toEqual([1, 100_000, []]);
  });

  test("a newest-first file is one run too, and its copies find their first line", () => {
    const set = createCandleSet("1m");
    for (let i = 0; i < 50_000; i++) set.add(T0 - i * 60_000, i + 2);
    expect(set.runs()).toBe(1);
    expect(set.add(T0 - 10 * 60_000, 50_002)).toBe("duplicate");
    expect(set.firstLine).toBe(12);
  });

  test.each([
    ["in order", [0, 1, 2], ["in-order", "in-order", "in-order"], []],
    ["a hole", [0, 1, 4], ["in-order", "in-order", "in-order"], [{ prev: 1, next: 4, missing: 2, line: 4 }]],
    ["a late row fills its hole", [0, 2, 1], ["in-order", "in-order", "late"], []],
    ["a late row leaves part of the hole", [0, 3, 1], ["in-order", "in-order", "late"], [{ prev: 1, next: 3, missing: 1, line: 3 }]],
    ["a copy", [0, 1, 1, 2], ["in-order", "in-order", "duplicate", "in-order"], []],
    ["a late copy", [0, 1, 2, 0], ["in-order", "in-order", "in-order", "duplicate"], []],
    ["late rows before the first", [5, 6, 3, 2], ["in-order", "in-order", "late", "late"], [{ prev: 3, next: 5, missing: 1, line: 2 }]],
  ])("%s", (_what, hours, results, holes) => {
    const { set, results: got } = feed(hours);
    expect(got).toEqual(results as never);
    expect(set.holes().map((h) => ({ prev: (h.prev - T0) / H, next: (h.next - T0) / H, missing: h.missing, line: h.line }))).toEqual(holes);
  });

  test("a duplicate names the line of the first copy, found from its run", () => {
    const { set } = feed([0, 1, 2, 3, 4]);
    expect(set.add(T0 + 3 * H, 9)).toBe("duplicate");
    expect(set.firstLine).toBe(5);
  });

  test("calendar months step by month", () => {
    const set = createCandleSet("1M");
    for (const [i, month] of [0, 1, 2, 4].entries()) set.add(Date.UTC(2024, month, 1), i + 2);
    expect(set.holes()).toEqual([{ prev: Date.UTC(2024, 2, 1), next: Date.UTC(2024, 4, 1), firstMissing: Date.UTC(2024, 3, 1), lastMissing: Date.UTC(2024, 3, 1), missing: 1, line: 5 }]);
    expect(set.count()).toBe(4);
  });
});

describe("inferInterval", () => {
  test.each([
    ["1m rows with a hole", [0, 1, 2, 5, 6].map((m) => T0 + m * 60_000), "1m"],
    ["1h rows with one misaligned", [0, 1, 2, 2.5, 3, 4].map((h) => T0 + h * H), "1h"],
    ["month starts", [0, 1, 2, 3].map((m) => Date.UTC(2024, m, 1)), "1M"],
    ["Mondays", [0, 7, 14].map((d) => Date.UTC(2024, 0, 1 + d)), "1w"],
    ["Sundays are not weeks", [0, 7, 14].map((d) => Date.UTC(2024, 0, 7 + d)), undefined],
    ["one time", [T0, T0], undefined],
  ])("%s", (_what, times, interval) => {
    expect(inferInterval(times)).toBe(interval as never);
  });
});
