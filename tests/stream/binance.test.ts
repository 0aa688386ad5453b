import { describe, expect, test } from "bun:test";
import { combinedStreamUrl, describeStreamUrl, parseStreamMessage } from "../../src/stream/binance.ts";

const kline = {
  e: "kline",
  E: 1700000060123,
  s: "PEPEUSDT",
  k: { t: 1700000000000, T: 1700000059999, s: "PEPEUSDT", i: "1m", f: 1, L: 9, o: "0.00000912", c: "0.00000915", h: "0.00000920", l: "0.00000900", v: "123456789.00", n: 9, x: true, q: "1125.13", V: "1000.5", Q: "0.0091", B: "0" },
};

describe("parseStreamMessage", () => {
  test("reads a raw kline, decimals verbatim", () => {
    const m = parseStreamMessage(JSON.stringify(kline));
    expect(m.type).toBe("kline");
    if (m.type !== "kline") return;
    expect(m.closed).toBe(true);
    expect(m.candle).toMatchObject({ symbol: "PEPEUSDT", interval: "1m", openTime: 1700000000000, open: "0.00000912", volume: "123456789.00", trades: 9, takerBuyQuote: "0.0091" });
  });

  test("reads the combined shape", () => {
    const m = parseStreamMessage(JSON.stringify({ stream: "pepeusdt@kline_1m", data: kline }));
    expect(m.type === "kline" && m.candle.close).toBe("0.00000915");
  });

  test.each([
    [{ e: "serverShutdown", E: 1 }],
    [{ stream: "!serverShutdown", data: { e: "serverShutdown", E: 1 } }],
    [{ event: { e: "serverShutdown", E: 1 } }],
  ])("recognises serverShutdown %j", (msg) => {
    expect(parseStreamMessage(JSON.stringify(msg)).type).toBe("shutdown");
  });

  test.each([
    ["not json{", "not JSON"],
    ["[1,2]", "not a JSON object"],
    [JSON.stringify({ ...kline, k: { ...kline.k, o: 0.1 } }), "decimal"],
    [JSON.stringify({ ...kline, k: { ...kline.k, i: "7m" } }), "interval"],
    [JSON.stringify({ ...kline, k: { ...kline.k, x: "true" } }), "closed flag"],
  ])("rejects %s", (text, reason) => {
    const m = parseStreamMessage(text);
    expect(m.type).toBe("invalid");
    expect(m.type === "invalid" && m.reason).toContain(reason);
  });

  test("control replies are not klines", () => {
    expect(parseStreamMessage('{"result":null,"id":1}').type).toBe("reply");
  });
});

test("combined URL accepts kstlib's trailing /ws", () => {
  expect(combinedStreamUrl("wss://stream.binance.com:9443/ws", [{ symbol: "BTCUSDT", interval: "1h" }, { symbol: "ethusdt", interval: "1M" }])).toBe(
    "wss://stream.binance.com:9443/stream?streams=btcusdt@kline_1h/ethusdt@kline_1M",
  );
});

test("an in-progress update needs only a decimal close; a closed candle needs every value", () => {
  const update = { ...kline, k: { ...kline.k, x: false, o: null, v: 5 } };
  const m = parseStreamMessage(JSON.stringify(update));
  expect(m.type === "kline" && m.candle.close).toBe("0.00000915");
  expect(parseStreamMessage(JSON.stringify({ ...kline, k: { ...kline.k, x: false, c: "abc" } })).type).toBe("invalid");
  expect(parseStreamMessage(JSON.stringify({ ...kline, k: { ...kline.k, x: true, v: 5 } })).type).toBe("invalid");
});

const SIX_HUNDRED = Array.from({ length: 300 }, (_, i) => [{ symbol: `S${i}USDT`, interval: "1m" as const }, { symbol: `S${i}USDT`, interval: "1h" as const }]).flat();

test.each([
  ["a 600-stream combined URL", combinedStreamUrl("wss://stream.binance.com:9443", SIX_HUNDRED), "stream.binance.com:9443/stream (600 streams)"],
  ["one stream on the default port", combinedStreamUrl("wss://stream.binance.com:443/ws", [{ symbol: "BTCUSDT", interval: "1h" }]), "stream.binance.com/stream (1 stream)"],
  ["an empty stream list", "ws://127.0.0.1:8080/stream?streams=", "127.0.0.1:8080/stream (0 streams)"],
  ["raw streams in the path", "wss://stream.binance.com:9443/ws/btcusdt@kline_1m/ethusdt@kline_1m", "stream.binance.com:9443/ws (2 streams)"],
  ["credentials and a bare root", "wss://user:secret@data-stream.binance.vision/", "data-stream.binance.vision"],
  ["short text that is no URL", "not a url", "not a url"],
  ["long text that is no URL", `not a url ${"x".repeat(200)}`, `not a url ${"x".repeat(69)}…`],
])("describeStreamUrl: %s", (_, url, expected) => {
  expect(describeStreamUrl(url)).toBe(expected);
});
