import { describe, expect, test } from "bun:test";
import type { DashboardStream } from "../../src/dashboard/snapshot.ts";
import { rankStreams, streamName, streamWindow, type StreamState } from "../../src/dashboard/stream-state.ts";
import { manyName, manyStreams, manyStreamsPlan, NEWEST_1M, NOW, stream } from "./fixtures.ts";

const HOUR_MS = 3_600_000;
const NEWEST_1H = Math.floor(NOW / HOUR_MS) * HOUR_MS - HOUR_MS;

/** A bare stream: no candles to copy, only what decides its state. */
const bare = (symbol: string, overrides: Partial<DashboardStream> = {}): DashboardStream => stream(symbol, { recent: [], interval: "1m", lastClosedOpenTime: NEWEST_1M, ...overrides });

describe("rankStreams: a stream's state", () => {
  test.each<[string, Partial<DashboardStream>, StreamState, number]>([
    ["current", {}, "recording", 0],
    ["two candles behind", { lastClosedOpenTime: NEWEST_1M - 2 * 60_000 }, "recording", 2],
    ["three candles behind", { lastClosedOpenTime: NEWEST_1M - 3 * 60_000 }, "lagging", 3],
    ["no candle yet", { lastClosedOpenTime: null }, "recording", 0],
    ["1h, current at 14:23 with the 13:00 candle", { interval: "1h", lastClosedOpenTime: NEWEST_1H }, "recording", 0],
    ["1h, three hours behind", { interval: "1h", lastClosedOpenTime: NEWEST_1H - 3 * HOUR_MS }, "lagging", 3],
    ["1M, current with February", { interval: "1M", lastClosedOpenTime: Date.UTC(2024, 1, 1) }, "recording", 0],
    ["1M, three months behind", { interval: "1M", lastClosedOpenTime: Date.UTC(2023, 10, 1) }, "lagging", 3],
    ["backfilling", { backfilling: true }, "backfilling", 0],
    ["holding candles behind a hole", { held: 2 }, "backfilling", 0],
    ["backfilling and far behind", { backfilling: true, lastClosedOpenTime: NEWEST_1M - 50 * 60_000 }, "backfilling", 50],
    ["retired, even while far behind and backfilling", { retiredAt: NOW - 1000, backfilling: true, lastClosedOpenTime: NEWEST_1M - 50 * 60_000 }, "retired", 50],
  ])("%s", (_name, overrides, state, behind) => {
    const ranked = rankStreams([bare("BTCUSDT", overrides)], NOW);
    expect(ranked.state[0]).toBe(state);
    expect(ranked.behind[0]).toBe(behind);
    expect(ranked.counts[state]).toBe(1);
  });
});

describe("rankStreams: the table order", () => {
  test("backfilling and lagging most behind (in time) first, then recording by name, retired last", () => {
    const streams = [
      bare("ZZZUSDT"),
      bare("AAAUSDT", { retiredAt: NOW }),
      bare("MMMUSDT", { lastClosedOpenTime: NEWEST_1M - 5 * 60_000 }), // 5 minutes behind
      bare("NNNUSDT", { interval: "1h", lastClosedOpenTime: NEWEST_1H - 3 * HOUR_MS }), // 3 hours behind
      bare("BBBUSDT"),
      bare("CCCUSDT", { backfilling: true, lastClosedOpenTime: NEWEST_1M - 60 * 60_000 }), // 1 hour behind
      bare("BBBUSDT", { interval: "1h", lastClosedOpenTime: NEWEST_1H }),
      bare("DDDUSDT", { held: 1 }),
    ];
    const ranked = rankStreams(streams, NOW);
    expect(ranked.order.map((i) => streamName(streams[i]!))).toEqual([
      "NNNUSDT@1h",
      "CCCUSDT@1m",
      "MMMUSDT@1m",
      "DDDUSDT@1m",
      "BBBUSDT@1m",
      "BBBUSDT@1h",
      "ZZZUSDT@1m",
      "AAAUSDT@1m",
    ]);
    ranked.order.forEach((stream, row) => expect(ranked.rowOf[stream]).toBe(row));
  });

  test("600 streams: the counts and the order follow the plan", () => {
    const snapshot = manyStreams(600);
    const ranked = rankStreams(snapshot.streams, NOW);
    const plans = Array.from({ length: 600 }, (_, i) => ({ i, ...manyStreamsPlan(i) }));
    const count = (state: StreamState) => plans.filter((p) => p.state === state).length;
    expect(ranked.counts).toEqual({ recording: count("recording"), lagging: count("lagging"), backfilling: count("backfilling"), retired: count("retired") });
    expect(ranked.counts.lagging).toBeGreaterThan(50);
    const group = { lagging: 0, backfilling: 1, recording: 2, retired: 3 };
    const lag = (p: { state: StreamState; behind: number }) => (p.state === "lagging" ? p.behind : 0);
    const expected = plans.sort((a, b) => group[a.state] - group[b.state] || lag(b) - lag(a) || a.i - b.i);
    expect(ranked.order.map((i) => snapshot.streams[i]!.symbol)).toEqual(expected.map((p) => manyName(p.i)));
  });

  test("keeps the last ranking for the same streams and time, and ranks again when either changes", () => {
    const snapshot = manyStreams(50);
    const first = rankStreams(snapshot.streams, NOW);
    expect(rankStreams(snapshot.streams, NOW)).toBe(first);
    expect(rankStreams(snapshot.streams, NOW + 60_000)).not.toBe(first);
    // A minute later every stream is one more candle behind: more of them lag.
    expect(rankStreams(snapshot.streams, NOW + 60_000).counts.lagging).toBeGreaterThan(first.counts.lagging);
    expect(rankStreams([...snapshot.streams], NOW)).not.toBe(first);
  });
});

describe("streamWindow", () => {
  test.each([
    ["the scroll as asked", 100, 10, 20, undefined, 20],
    ["never past the end", 100, 10, 95, undefined, 90],
    ["never before the start", 100, 10, -5, undefined, 0],
    ["all rows fit", 5, 10, 3, undefined, 0],
    ["moves up to a selection above", 100, 10, 20, 12, 12],
    ["moves down to a selection below", 100, 10, 20, 45, 36],
    ["stays when the selection is in view", 100, 10, 20, 29, 20],
  ])("%s", (_name, count, page, scroll, selected, first) => {
    expect(streamWindow(count, page, scroll, selected)).toBe(first);
  });
});
