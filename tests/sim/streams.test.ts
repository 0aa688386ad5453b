import { describe, expect, test } from "bun:test";
import { handleControlFrame, parseStreamName, type ControlState } from "../../src/sim/streams.ts";
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
