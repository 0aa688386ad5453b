import { describe, expect, test } from "bun:test";
import { liveKline, simulatedKline } from "../../src/sim/candles.ts";
import { handleControlFrame, klineEvent, klineFrame, parseStreamName, streamFrame, type ControlState } from "../../src/sim/streams.ts";
import { nextEventTime } from "../../src/sim/feed.ts";

const T0 = Date.UTC(2024, 0, 1);

describe("parseStreamName", () => {
  test.each([
    ["btcusdt@kline_1m", { symbol: "BTCUSDT", interval: "1m" }],
    ["pepeusdt@kline_1s", { symbol: "PEPEUSDT", interval: "1s" }],
    ["ethusdt@kline_1M", { symbol: "ETHUSDT", interval: "1M" }],
    ["BTCUSDT@kline_1m", undefined],
    ["btcusdt@kline_2m", undefined],
    ["btcusdt@trade", undefined],
    ["btcusdt@kline_1m@+08:00", undefined],
  ])("%s", (name, ref) => {
    expect(parseStreamName(name)).toEqual(ref as never);
  });
});

describe("handleControlFrame", () => {
  const empty: ControlState = { streams: [], combined: false };

  test("SUBSCRIBE adds names once, in order; UNSUBSCRIBE removes them", () => {
    const a = handleControlFrame(empty, JSON.stringify({ method: "SUBSCRIBE", params: ["a@kline_1m", "b@kline_1m", "a@kline_1m"], id: 1 }));
    expect(a.reply).toEqual({ result: null, id: 1 });
    expect(a.state.streams).toEqual(["a@kline_1m", "b@kline_1m"]);
    const b = handleControlFrame(a.state, JSON.stringify({ method: "SUBSCRIBE", params: ["b@kline_1m", "c@kline_1m"], id: 2 }));
    expect(b.state.streams).toEqual(["a@kline_1m", "b@kline_1m", "c@kline_1m"]);
    const c = handleControlFrame(b.state, JSON.stringify({ method: "UNSUBSCRIBE", params: ["a@kline_1m"], id: null }));
    expect(c).toEqual({ reply: { result: null, id: null }, state: { streams: ["b@kline_1m", "c@kline_1m"], combined: false } });
  });

  test.each([
    ["not json", { error: { code: 3, msg: "Invalid JSON: expected value at line 1 column 1" }, id: null }],
    [JSON.stringify([1]), { error: { code: 2, msg: "Invalid request: expected an object" }, id: null }],
    [JSON.stringify({ method: "SUBSCRIBE", params: [], id: 1.5 }), { error: { code: 2, msg: "Invalid request: request ID must be an unsigned integer" }, id: null }],
    [JSON.stringify({ method: "SUBSCRIBE", params: "a", id: 1 }), { error: { code: 2, msg: "Invalid request: params must be an array" }, id: 1 }],
    [JSON.stringify({ method: "SUBSCRIBE", params: [1], id: 1 }), { error: { code: 2, msg: "Invalid request: stream names must be strings" }, id: 1 }],
    [JSON.stringify({ method: "SET_PROPERTY", params: ["combined", true, 1], id: 1 }), { error: { code: 2, msg: "Invalid request: too many parameters" }, id: 1 }],
    [JSON.stringify({ method: "SET_PROPERTY", params: [5, true], id: 1 }), { error: { code: 2, msg: "Invalid request: property name must be a string" }, id: 1 }],
  ])("%s gets an error reply and changes nothing", (text, reply) => {
    const result = handleControlFrame(empty, text);
    expect(result.reply).toEqual(reply);
    expect(result.state).toBe(empty);
  });
});

describe("limits and the hot path", () => {
  test("a SUBSCRIBE past maxStreams is refused, changes nothing and asks for close 1008; up to it is fine", () => {
    const two: ControlState = { streams: ["a@kline_1m", "b@kline_1m"], combined: false };
    const ok = handleControlFrame(two, JSON.stringify({ method: "SUBSCRIBE", params: ["b@kline_1m", "c@kline_1m"], id: 1 }), 3);
    expect([ok.state.streams.length, ok.close]).toEqual([3, undefined]);
    const over = handleControlFrame(two, JSON.stringify({ method: "SUBSCRIBE", params: ["c@kline_1m", "d@kline_1m"], id: 2 }), 3);
    expect(over.state).toBe(two);
    expect(over.reply).toEqual({ error: { code: 2, msg: "Invalid request: too many streams: 4 requested, at most 3 per connection" }, id: 2 });
    expect(over.close).toEqual({ code: 1008, reason: "Too many streams" });
  });

  test.each([
    [false, false, false],
    [true, true, true],
    [false, true, true],
    [true, false, false],
  ])("klineFrame is byte for byte streamFrame(klineEvent(...)) (micro %p, combined %p, closed %p)", (micro, combined, closed) => {
    for (const [symbol, t] of [["BTCUSDT", T0], ["PEPEUSDT", T0 + 61_000], ["1000ZOKAFDUSD", T0 + 3_600_000]] as const) {
      const k = liveKline(simulatedKline(3, symbol, "1m", t), t + 20_000);
      const stream = `${symbol.toLowerCase()}@kline_1m`;
      expect(klineFrame(stream, k, closed, t + 20_000, micro, combined)).toBe(streamFrame(stream, klineEvent(k, closed, t + 20_000, micro), combined));
    }
  });
});

describe("nextEventTime (Binance's pace)", () => {
  test.each([
    ["1s", T0, T0 + 500],
    ["1s", T0 + 500, T0 + 1000],
    ["1s", T0 + 999, T0 + 1000],
    ["1m", T0, T0 + 2000],
    ["1m", T0 + 2000, T0 + 4000],
    ["1m", T0 + 57_999, T0 + 58_000],
    ["1m", T0 + 58_000, T0 + 60_000],
    ["1h", T0 + 3_599_000, T0 + 3_600_000],
  ] as const)("%s after %d: %d", (interval, now, next) => {
    expect(nextEventTime(interval, now)).toBe(next);
  });
});
