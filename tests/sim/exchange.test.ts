import { describe, expect, test } from "bun:test";
import { connectClient, startFakeBinance, waitUntil } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const KLINE_KEYS = ["t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V", "Q", "B"];
const DECIMAL = /^\d+\.\d{8}$/;

async function setup(options: Parameters<typeof startFakeBinance>[0] = {}) {
  const clock = new FakeClock(T0);
  const exchange = await startFakeBinance({ clock, ...options });
  const connect = async (path: string) => {
    const before = exchange.stats().openConnections;
    const client = await connectClient(`${exchange.wsUrl}${path}`);
    await waitUntil(() => exchange.stats().openConnections > before, 3000, "the server to see the connection");
    return client;
  };
  return { clock, exchange, connect };
}

describe("kline streams", () => {
  test("/ws/<stream> sends raw events with every field, updates every 2 s, then the close event equal to the truth", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws/btcusdt@kline_1m");
    await clock.advance(2000);
    const first = await client.nextJson();
    expect(Object.keys(first)).toEqual(["e", "E", "s", "k"]);
    expect(Object.keys(first.k)).toEqual(KLINE_KEYS);
    expect(first).toMatchObject({ e: "kline", E: T0 + 2000, s: "BTCUSDT", k: { t: T0, T: T0 + 59_999, s: "BTCUSDT", i: "1m", x: false, B: "0" } });
    for (const field of ["o", "c", "h", "l", "v", "q", "V", "Q"]) expect(first.k[field]).toMatch(DECIMAL);
    expect(first.k.n).toBe(first.k.L - first.k.f + 1);

    await clock.advance(58_000);
    const events = [];
    for (let i = 0; i < 29; i++) events.push(await client.nextJson());
    expect(events.map((e) => e.E)).toEqual([...Array.from({ length: 28 }, (_, i) => T0 + 4000 + i * 2000), T0 + 60_000]);
    expect(events.slice(0, 28).every((e) => e.k.x === false && e.k.t === T0)).toBe(true);
    const final = events[28]!.k;
    const truth = exchange.truth("BTCUSDT", "1m", T0)!;
    expect(final).toEqual({
      t: truth.openTime, T: truth.closeTime, s: "BTCUSDT", i: "1m", f: truth.firstTradeId, L: truth.lastTradeId,
      o: truth.open, c: truth.close, h: truth.high, l: truth.low, v: truth.volume, n: truth.trades, x: true,
      q: truth.quoteVolume, V: truth.takerBuyBase, Q: truth.takerBuyQuote, B: "0",
    });
    client.ws.close();
  });

  test("/stream wraps each event as {stream, data}; 1s klines update at +500 ms and close at the second", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=btcusdt@kline_1s/pepeusdt@kline_1s");
    await clock.advance(1000);
    const frames = [await client.nextJson(), await client.nextJson(), await client.nextJson(), await client.nextJson()];
    for (const f of frames) expect(Object.keys(f)).toEqual(["stream", "data"]);
    expect(frames.map((f) => [f.stream, f.data.E, f.data.k.x])).toEqual([
      ["btcusdt@kline_1s", T0 + 500, false],
      ["pepeusdt@kline_1s", T0 + 500, false],
      ["btcusdt@kline_1s", T0 + 1000, true],
      ["pepeusdt@kline_1s", T0 + 1000, true],
    ]);
    const pepe = frames[3]!.data.k;
    expect(pepe.c).toMatch(/^0\.0000\d{4}$/);
    expect(pepe.c).not.toBe("0.00000000");
    expect(pepe).toMatchObject({ t: T0, T: T0 + 999, s: "PEPEUSDT", i: "1s", o: exchange.truth("PEPEUSDT", "1s", T0)!.open });
  });

  test("the next candle opens at the previous close and keeps the trade ids running", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws/ethusdt@kline_1s");
    await clock.advance(2000);
    const events = [];
    for (let i = 0; i < 4; i++) events.push((await client.nextJson()).k);
    const [first, second] = events.filter((k) => k.x);
    expect(second.t).toBe(first.t + 1000);
    expect(second.o).toBe(first.c);
    expect(second.f).toBe(first.L + 1);
  });

  test("SUBSCRIBE, LIST_SUBSCRIPTIONS, UNSUBSCRIBE and SET_PROPERTY combined answer like Binance", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws");
    client.send({ method: "SUBSCRIBE", params: ["btcusdt@kline_1s", "ethusdt@kline_1m"], id: 1 });
    expect(await client.nextJson()).toEqual({ result: null, id: 1 });
    client.send({ method: "LIST_SUBSCRIPTIONS", id: "list2" });
    expect(await client.nextJson()).toEqual({ result: ["btcusdt@kline_1s", "ethusdt@kline_1m"], id: "list2" });
    await clock.advance(500);
    expect((await client.nextJson()).k).toMatchObject({ s: "BTCUSDT", i: "1s", x: false });

    client.send({ method: "UNSUBSCRIBE", params: ["btcusdt@kline_1s"], id: 3 });
    expect(await client.nextJson()).toEqual({ result: null, id: 3 });
    client.send({ method: "SET_PROPERTY", params: ["combined", true], id: 4 });
    expect(await client.nextJson()).toEqual({ result: null, id: 4 });
    client.send({ method: "GET_PROPERTY", params: ["combined"], id: 5 });
    expect(await client.nextJson()).toEqual({ result: true, id: 5 });
    await clock.advance(1500);
    const wrapped = await client.nextJson();
    expect(wrapped).toMatchObject({ stream: "ethusdt@kline_1m", data: { e: "kline", E: T0 + 2000, s: "ETHUSDT" } });
    await Bun.sleep(50);
    expect(client.unread).toBe(0);
  });

  test("bad control frames get Binance's error replies and the connection stays open", async () => {
    const { exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws");
    client.send("{not json");
    expect(await client.nextJson()).toMatchObject({ error: { code: 3 }, id: null });
    client.send({ method: "SUBSCRIBES", params: [], id: 7 });
    const unknown = await client.nextJson();
    expect(unknown).toMatchObject({ error: { code: 2 }, id: 7 });
    expect(unknown.error.msg).toContain("unknown variant `SUBSCRIBES`");
    client.send({ params: [], id: 8 });
    expect((await client.nextJson()).error.msg).toContain("missing field `method`");
    client.send({ method: "SET_PROPERTY", params: ["combined", "yes"], id: 9 });
    expect(await client.nextJson()).toEqual({ error: { code: 1, msg: "Invalid value type: expected Boolean" }, id: 9 });
    client.send({ method: "GET_PROPERTY", params: ["colour"], id: 10 });
    expect(await client.nextJson()).toEqual({ error: { code: 0, msg: "Unknown property" }, id: 10 });
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("a stream of an unknown symbol, an uppercase name or a bad interval sends nothing", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=dogeusdt@kline_1s/BTCUSDT@kline_1s/btcusdt@kline_7s");
    await clock.advance(3000);
    await Bun.sleep(50);
    expect(client.received).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("/ws/<s1>/<s2> is not a Binance path: 404, no upgrade", async () => {
    const { exchange } = await setup();
    await using _ = exchange;
    const response = await fetch(`${exchange.url}/ws/btcusdt@kline_1s/ethusdt@kline_1s`);
    expect(response.status).toBe(404);
    await expect(connectClient(`${exchange.wsUrl}/ws/btcusdt@kline_1s/ethusdt@kline_1s`)).rejects.toThrow(/404/);
    expect(exchange.stats().connections).toBe(0);
  });

  test("timeUnit=MICROSECOND gives E, t and T in µs", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws/btcusdt@kline_1s?timeUnit=MICROSECOND");
    await clock.advance(500);
    const event = await client.nextJson();
    expect([event.E, event.k.t, event.k.T]).toEqual([(T0 + 500) * 1000, T0 * 1000, (T0 + 999) * 1000]);
  });

  test("an exchange gap is never sent: no updates, no close event", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    exchange.exchangeGap("BTCUSDT", "1s", T0 + 1000);
    expect(exchange.truth("BTCUSDT", "1s", T0 + 1000)).toBeUndefined();
    const client = await connect("/ws/btcusdt@kline_1s");
    await clock.advance(3000);
    const events = [];
    for (let i = 0; i < 4; i++) events.push((await client.nextJson()).k);
    await Bun.sleep(50);
    expect(client.unread).toBe(0);
    expect(events.map((k) => [k.t - T0, k.x])).toEqual([[0, false], [0, true], [2000, false], [2000, true]]);
  });
});

describe("connection lifetime", () => {
  test("the server pings every pingIntervalMs with its time as the payload", async () => {
    const { clock, exchange, connect } = await setup({ pingIntervalMs: 20_000 });
    await using _ = exchange;
    const client = await connect("/ws");
    await clock.advance(19_999);
    await Bun.sleep(30);
    expect(client.pings).toEqual([]);
    await clock.advance(1);
    await waitUntil(() => client.pings.length === 1, 2000, "a ping");
    expect(client.pings[0]).toBe(String(T0 + 20_000));
    await clock.advance(20_000);
    await waitUntil(() => client.pings.length === 2, 2000, "a second ping");
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("each connection is cut after dayMs with 1001", async () => {
    const { clock, exchange, connect } = await setup({ dayMs: 60_000 });
    await using _ = exchange;
    const first = await connect("/ws");
    await clock.advance(30_000);
    const second = await connect("/ws");
    await clock.advance(30_000);
    expect((await first.closed).code).toBe(1001);
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
    await clock.advance(30_000);
    expect((await second.closed).code).toBe(1001);
    expect(exchange.stats()).toMatchObject({ connections: 2, openConnections: 0 });
  });

  test("more than 5 incoming messages in a second is a disconnect (1008), 5 a second is fine", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws");
    for (let second = 0; second < 2; second++) {
      for (let i = 0; i < 5; i++) client.send({ method: "LIST_SUBSCRIPTIONS", id: second * 10 + i });
      for (let i = 0; i < 5; i++) expect(await client.nextJson()).toEqual({ result: [], id: second * 10 + i });
      await clock.advance(1000);
    }
    for (let i = 0; i < 6; i++) client.send({ method: "LIST_SUBSCRIPTIONS", id: 100 + i });
    expect(await client.closed).toEqual({ code: 1008, reason: "Too many requests" });
    expect(client.received).toHaveLength(15);
  });

  test("stop() closes every connection (1001) and is idempotent", async () => {
    const { exchange, connect } = await setup();
    const client = await connect("/ws/btcusdt@kline_1m");
    await Promise.all([exchange.stop(), exchange.stop()]);
    expect((await client.closed).code).toBe(1001);
    await expect(fetch(`${exchange.url}/api/v3/ping`)).rejects.toThrow();
  });
});
