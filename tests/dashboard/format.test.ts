import { describe, expect, test } from "bun:test";
import { alignDecimals, compareDecimals, formatAge, formatBytes, formatMinute, formatSecond, sparkline } from "../../src/dashboard/format.ts";

describe("formatAge", () => {
  test.each([
    [-5, "0s"],
    [999, "0s"],
    [59_999, "59s"],
    [60_000, "1m00s"],
    [245_000, "4m05s"],
    [3_600_000, "1h00m"],
    [11_220_000, "3h07m"],
    [86_400_000, "1d00h"],
    [187_200_000, "2d04h"],
  ])("%pms is %p", (ms, expected) => {
    expect(formatAge(ms)).toBe(expected);
  });
});

describe("alignDecimals", () => {
  test.each([
    [["42000.01000000", "41999.50000000"], ["42000.01", "41999.50"]],
    [["1.00000000", "2.00000000"], ["1", "2"]],
    [["0.00002417", "123.4"], ["  0.00002417", "123.40000000"]],
    [["7", "12.5", "0.125"], [" 7.000", "12.500", " 0.125"]],
    [["–", "3.50"], ["  –", "3.5"]],
    [[], []],
  ])("%p becomes %p", (values, expected) => {
    expect(alignDecimals(values)).toEqual(expected);
  });

  test("never rounds: every significant digit survives", () => {
    const [a] = alignDecimals(["0.123456789012345678", "1"]);
    expect(a).toBe("0.123456789012345678");
  });
});

describe("compareDecimals", () => {
  test.each([
    ["1", "1.000", 0],
    ["62431.07", "62431.069999", 1],
    ["9.99", "10", -1],
    ["0.00000001", "0.00000002", -1],
    ["100000000000000000001", "100000000000000000000", 1],
    ["007", "7.0", 0],
    ["abc", "1", 0],
  ])("%p vs %p is %p", (a, b, expected) => {
    expect(compareDecimals(a, b)).toBe(expected);
  });
});

describe("formatBytes", () => {
  test.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.50 KiB"],
    [1_288_490, "1.23 MiB"],
    [50 * 1024 * 1024, "50.0 MiB"],
    [3 * 1024 ** 4, "3.00 TiB"],
  ])("%p bytes is %p", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});

test("formatMinute gives UTC, with or without the year", () => {
  const t = Date.UTC(2024, 11, 31, 23, 59, 59);
  expect(formatMinute(t)).toBe("2024-12-31 23:59");
  expect(formatMinute(t, true)).toBe("12-31 23:59");
});

test("formatSecond gives UTC to the second, with or without the year", () => {
  const t = Date.UTC(2024, 11, 31, 23, 59, 58, 999);
  expect(formatSecond(t)).toBe("2024-12-31 23:59:58");
  expect(formatSecond(t, true)).toBe("12-31 23:59:58");
});

describe("sparkline", () => {
  test("maps the lowest to the lowest block and the highest to the full block", () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], true)).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([5, 1, 9], true)).toBe("▅▁█");
  });

  test("uses ASCII without UTF-8", () => {
    expect(sparkline([1, 2, 3, 4, 5], false)).toBe("_.-~^");
  });

  test("draws a flat line in the middle and leaves gaps for missing values", () => {
    expect(sparkline([3, 3, Number.NaN, 3], true)).toBe("▄▄ ▄");
    expect(sparkline([], true)).toBe("");
  });
});
