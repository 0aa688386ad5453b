import { describe, expect, test } from "bun:test";
import { candleOpenAt, candlesBetween, isAligned, nextOpenTime, previousOpenTime } from "../../src/time/intervals.ts";
import { formatDuration, parseDuration } from "../../src/time/duration.ts";
import { parseTime } from "../../src/time/timestamp.ts";

const utc = (s: string) => Date.parse(s);

describe("interval calendar", () => {
  test.each([
    ["1h", "2024-03-10T13:45:12Z", "2024-03-10T13:00:00Z"],
    ["4h", "2024-03-10T13:45:12Z", "2024-03-10T12:00:00Z"],
    ["1d", "2024-03-10T13:45:12Z", "2024-03-10T00:00:00Z"],
    ["1w", "2024-03-10T13:45:12Z", "2024-03-04T00:00:00Z"], // a Sunday belongs to the week of Monday the 4th
    ["1w", "2024-03-11T00:00:00Z", "2024-03-11T00:00:00Z"],
    ["1M", "2024-02-29T23:59:59Z", "2024-02-01T00:00:00Z"],
    ["1s", "2024-03-10T13:45:12.999Z", "2024-03-10T13:45:12Z"],
  ] as const)("%s candle containing %s opens at %s", (interval, t, open) => {
    expect(candleOpenAt(interval, utc(t))).toBe(utc(open));
  });

  test("months have calendar lengths", () => {
    expect(nextOpenTime("1M", utc("2024-01-01T00:00:00Z"))).toBe(utc("2024-02-01T00:00:00Z"));
    expect(nextOpenTime("1M", utc("2024-12-01T00:00:00Z"))).toBe(utc("2025-01-01T00:00:00Z"));
    expect(previousOpenTime("1M", utc("2024-03-01T00:00:00Z"))).toBe(utc("2024-02-01T00:00:00Z"));
    expect(candlesBetween("1M", utc("2023-11-01T00:00:00Z"), utc("2024-02-01T00:00:00Z"))).toBe(3);
  });

  test("alignment", () => {
    expect(isAligned("1h", utc("2024-01-01T05:00:00Z"))).toBe(true);
    expect(isAligned("1h", utc("2024-01-01T05:30:00Z"))).toBe(false);
    expect(isAligned("1w", utc("2024-01-01T00:00:00Z"))).toBe(true); // a Monday
    expect(isAligned("1w", utc("2024-01-04T00:00:00Z"))).toBe(false); // a Thursday
  });
});

describe("durations", () => {
  test.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["15m", 900_000],
    ["4h", 14_400_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["0", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text, "--x")).toBe(ms);
  });

  test("a bare number keeps the kstlib key's unit", () => {
    expect(parseDuration(240, "modulo_minutes", "m")).toBe(14_400_000);
    expect(parseDuration("5", "margin_seconds", "s")).toBe(5000);
  });

  test.each(["-5s", "10", "abc", "4x", "", "1h-"])("%p is rejected with a message", (text) => {
    expect(() => parseDuration(text, "--restart-every")).toThrow(/--restart-every/);
  });

  test("format round-trips", () => {
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(parseDuration(formatDuration(93_784_005), "x")).toBe(93_784_005);
  });
});

describe("times", () => {
  test.each([
    ["2024-01-31T12:00:00Z", Date.UTC(2024, 0, 31, 12)],
    ["2024-01-31", Date.UTC(2024, 0, 31)],
    ["2024-01-31T12:00:00+01:00", Date.UTC(2024, 0, 31, 11)],
    ["1706702400000", 1706702400000],
    ["1706702400000000", 1706702400000],
  ])("%s", (text, ms) => {
    expect(parseTime(text, "--since")).toBe(ms);
  });
  test("garbage is a user error", () => {
    expect(() => parseTime("yesterday", "--since")).toThrow(/--since/);
  });
});
