import { describe, expect, test } from "bun:test";
import { combinedStreamUrl, klineStreamName, type StreamSpec } from "../../src/stream/binance.ts";
import { MAX_URL_CHARS, reshardStreams, sameStreams, shardStreams } from "../../src/stream/shard.ts";
import type { Interval } from "../../src/time/intervals.ts";

const BASE = "wss://stream.binance.com:9443";
const specs = (n: number, intervals: Interval[] = ["1m"], prefix = "SYM") =>
  Array.from({ length: n }, (_, i) => intervals.map((interval) => ({ symbol: `${prefix}${String(i).padStart(4, "0")}USDT`, interval }))).flat();
const names = (groups: StreamSpec[][]) => groups.map((g) => g.map(klineStreamName));

describe("shardStreams", () => {
  test("every stream lands in exactly one group, in order, none over the stream limit", () => {
    const streams = specs(1500, ["1s", "1m"]);
    const groups = shardStreams(streams, { baseUrl: BASE, maxStreams: 200 });
    expect(groups.flat().map(klineStreamName)).toEqual(streams.map(klineStreamName));
    expect(groups.every((g) => g.length <= 200)).toBe(true);
    expect(groups.length).toBeGreaterThanOrEqual(15);
  });

  test("URLs stay under 8,000 characters even when the stream limit would allow more", () => {
    const streams = specs(1000, ["1m"], "AVERYLONGBASENAME");
    const groups = shardStreams(streams, { baseUrl: BASE, maxStreams: 1024 });
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) expect(combinedStreamUrl(BASE, g).length).toBeLessThan(MAX_URL_CHARS);
    expect(groups.flat().length).toBe(1000);
  });

  test("a group is filled up to the limit before the next begins", () => {
    const groups = shardStreams(specs(450), { baseUrl: BASE, maxStreams: 200 });
    expect(groups.map((g) => g.length)).toEqual([200, 200, 50]);
  });
});

describe("reshardStreams", () => {
  test("a retired symbol leaves its group only; the other groups keep their members", () => {
    const streams = specs(450);
    const before = shardStreams(streams, { baseUrl: BASE, maxStreams: 200 });
    const gone = klineStreamName(streams[250]!);
    const after = reshardStreams(before, streams.filter((s) => klineStreamName(s) !== gone), { baseUrl: BASE, maxStreams: 200 });
    expect(sameStreams(after[0]!, before[0]!)).toBe(true);
    expect(sameStreams(after[2]!, before[2]!)).toBe(true);
    expect(after[1]!.length).toBe(199);
    expect(names(after).flat()).not.toContain(gone);
  });

  test("a listing fills the first group with room instead of moving others", () => {
    const streams = specs(450);
    const before = shardStreams(streams, { baseUrl: BASE, maxStreams: 200 });
    const listing = { symbol: "NEWUSDT", interval: "1m" as Interval };
    const after = reshardStreams(before, [...streams, listing], { baseUrl: BASE, maxStreams: 200 });
    expect(after.length).toBe(3);
    expect(sameStreams(after[0]!, before[0]!)).toBe(true);
    expect(after[2]!.map(klineStreamName)).toContain("newusdt@kline_1m");
    expect(after[2]!.length).toBe(51);
  });

  test("an emptied group disappears and a full pool grows a new group", () => {
    const streams = specs(400);
    const before = shardStreams(streams, { baseUrl: BASE, maxStreams: 200 });
    const after = reshardStreams(before, [...streams.slice(200), ...specs(10, ["1m"], "NEW")], { baseUrl: BASE, maxStreams: 200 });
    expect(after.length).toBe(2);
    expect(sameStreams(after[0]!, before[1]!)).toBe(true);
    expect(after[1]!.length).toBe(10);
  });

  test("a stream named twice is placed once", () => {
    const s = specs(3);
    const groups = reshardStreams([], [...s, ...s], { baseUrl: BASE, maxStreams: 200 });
    expect(groups.flat().length).toBe(3);
  });
});
