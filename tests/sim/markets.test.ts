import { describe, expect, test } from "bun:test";
import type { Market } from "../../src/exchange/market.ts";
import { connectClient, startFakeBinance, waitUntil } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const SYMBOLS: Record<Market, string[]> = { spot: ["BTCUSDT", "ETHUSDT"], usdm: ["BTCUSDT", "SOLUSDT"], coinm: ["BTCUSD_PERP", "ETHUSD_PERP"] };
const REST: Record<Market, string> = { spot: "/api/v3", usdm: "/fapi/v1", coinm: "/dapi/v1" };

async function setup(market: Market, options: Parameters<typeof startFakeBinance>[0] = {}) {
  const clock = new FakeClock(T0 + 10 * MINUTE);
  const exchange = await startFakeBinance({ clock, market, symbols: SYMBOLS[market], ...options });
  const connect = async (path: string) => {
    const before = exchange.stats().openConnections;
    const client = await connectClient(`${exchange.url.replace("http", "ws")}${path}`);
    await waitUntil(() => exchange.stats().openConnections > before, 3000, "the server to see the connection");
    return client;
  };
  const get = async (path: string) => {
    const response = await fetch(`${exchange.url}${path}`);
    const text = await response.text();
    return { status: response.status, weight: Number(response.headers.get("x-mbx-used-weight-1m")), text, json: () => JSON.parse(text) };
  };
  return { clock, exchange, connect, get };
}

describe("paths each market serves and refuses", () => {
  test("usdm: REST only under /fapi/v1, streams only under /market; stream base ws://HOST:PORT/market", async () => {
    const { exchange, connect, get } = await setup("usdm");
    await using _ = exchange;
    expect(exchange.wsUrl).toBe(`${exchange.url.replace("http", "ws")}/market`);
    expect((await get("/fapi/v1/ping")).status).toBe(200);
    expect((await get("/fapi/v1/time")).json()).toEqual({ serverTime: T0 + 10 * MINUTE });
    expect((await get("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1")).status).toBe(200);
    for (const path of ["/api/v3/ping", "/api/v3/klines?symbol=BTCUSDT&interval=1m", "/api/v3/exchangeInfo", "/dapi/v1/ping", "/stream?streams=btcusdt@kline_1m", "/ws/btcusdt@kline_1m"]) {
      expect([path, (await get(path)).status]).toEqual([path, 404]);
    }
    expect((await get("/fapi/v1/uiKlines?symbol=BTCUSDT&interval=1m")).json()).toEqual({ code: -1000, msg: "Unknown path /fapi/v1/uiKlines." });
    for (const path of ["/stream?streams=btcusdt@kline_1m", "/ws/btcusdt@kline_1m", "/ws"]) {
      await expect(connectClient(`${exchange.url.replace("http", "ws")}${path}`)).rejects.toThrow(/404/);
    }
    expect(exchange.stats().connections).toBe(0);
    await connect("/market/stream?streams=btcusdt@kline_1m");
    await connect("/market/ws/btcusdt@kline_1m");
    await connect("/market/ws");
    await connect("/market/ws/btcusdt@kline_1m/solusdt@kline_1m");
    expect(exchange.stats()).toMatchObject({ connections: 4, streamsServed: 4 });
  });

  test("coinm: REST only under /dapi/v1, streams at /stream and /ws", async () => {
    const { exchange, connect, get } = await setup("coinm");
    await using _ = exchange;
    expect(exchange.wsUrl).toBe(exchange.url.replace("http", "ws"));
    expect((await get("/dapi/v1/ping")).status).toBe(200);
    expect((await get("/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1h&limit=1")).status).toBe(200);
    for (const path of ["/api/v3/ping", "/fapi/v1/ping", "/market/stream?streams=btcusd_perp@kline_1m"]) expect((await get(path)).status).toBe(404);
    await expect(connectClient(`${exchange.wsUrl}/market/ws/btcusd_perp@kline_1m`)).rejects.toThrow(/404/);
    await expect(connectClient(`${exchange.wsUrl}/ws/btcusd_perp@kline_1m/ethusd_perp@kline_1m`)).rejects.toThrow(/404/);
    await connect("/stream?streams=btcusd_perp@kline_1m");
    await connect("/ws/ethusd_perp@kline_1m");
    expect(exchange.stats().connections).toBe(2);
  });

  test("spot is unchanged: no /fapi, no /market", async () => {
    const { exchange, get } = await setup("spot");
    await using _ = exchange;
    expect(exchange.wsUrl).toBe(exchange.url.replace("http", "ws"));
    expect((await get("/api/v3/ping")).status).toBe(200);
    expect((await get("/fapi/v1/ping")).status).toBe(404);
    await expect(connectClient(`${exchange.wsUrl}/market/stream?streams=btcusdt@kline_1m`)).rejects.toThrow(/404/);
  });
});

describe("klines limits and weights", () => {
  test.each(["usdm", "coinm"] as const)("%s: limit default 500, max 1500 (over it -1130), weight 1/2/5/10 by limit", async (market) => {
    const { exchange, get } = await setup(market);
    await using _ = exchange;
    const path = `${REST[market]}/klines?symbol=${SYMBOLS[market][0]}&interval=1m&startTime=${T0 - 3000 * MINUTE}`;
    let used = 0;
    const weights: [number | undefined, number, number][] = [];
    for (const limit of [undefined, 1, 99, 100, 499, 500, 1000, 1001, 1500]) {
      const answer = await get(limit === undefined ? path : `${path}&limit=${limit}`);
      expect(answer.status).toBe(200);
      weights.push([limit, answer.weight - used, answer.json().length]);
      used = answer.weight;
    }
    expect(weights).toEqual([
      [undefined, 5, 500],
      [1, 1, 1],
      [99, 1, 99],
      [100, 2, 100],
      [499, 2, 499],
      [500, 5, 500],
      [1000, 5, 1000],
      [1001, 10, 1001],
      [1500, 10, 1500],
    ]);
    for (const limit of [1501, 5000, 0]) {
      const refused = await get(`${path}&limit=${limit}`);
      expect([refused.status, refused.json()]).toEqual([400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." }]);
    }
    const info = await get(`${REST[market]}/exchangeInfo`);
    expect(info.weight - used).toBe(10 + 10 + 5 + 1);
  });

  test("spot keeps its rules: weight 2 whatever the limit, at most 1000 rows, exchangeInfo 20", async () => {
    const { exchange, get } = await setup("spot");
    await using _ = exchange;
    const answer = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${T0 - 3000 * MINUTE}&limit=1500`);
    expect([answer.status, answer.weight, answer.json().length]).toEqual([200, 2, 1000]);
    expect((await get("/api/v3/exchangeInfo")).weight).toBe(22);
  });

  test.each(["usdm", "coinm"] as const)("%s: 1s klines are an invalid interval (-1120)", async (market) => {
    const { exchange, get } = await setup(market);
    await using _ = exchange;
    const refused = await get(`${REST[market]}/klines?symbol=${SYMBOLS[market][0]}&interval=1s`);
    expect([refused.status, refused.json()]).toEqual([400, { code: -1120, msg: "Invalid interval." }]);
    expect((await get(`${REST[market]}/klines?symbol=${SYMBOLS[market][0]}&interval=1M&limit=1`)).status).toBe(200);
  });

  test("restWeightLimit still applies on futures: over it a 429", async () => {
    const { exchange, get } = await setup("usdm", { restWeightLimit: 12 });
    await using _ = exchange;
    expect((await get("/fapi/v1/exchangeInfo")).json().rateLimits[0]).toEqual({ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 12 });
    expect((await get("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000")).weight).toBe(6);
    const over = await get("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1001");
    expect([over.status, over.weight, over.json().code]).toEqual([429, 16, -1003]);
    expect(exchange.stats().limits.rest429).toBe(1);
    expect((await get("/fapi/v1/ping")).status).toBe(418);
  });
});

describe("kline streams on futures", () => {
  test("usdm: /market/stream delivers BTCUSDT and SOLUSDT closes equal to the truth", async () => {
    const { clock, exchange, connect } = await setup("usdm");
    await using _ = exchange;
    const client = await connect("/market/stream?streams=btcusdt@kline_1m/solusdt@kline_1m");
    await clock.advance(MINUTE);
    const closes = [];
    while (closes.length < 2) {
      const frame = await client.nextJson();
      if (frame.data.k.x) closes.push(frame);
    }
    const open = T0 + 10 * MINUTE;
    expect(closes.map((f) => [f.stream, f.data.s, f.data.k.t])).toEqual([
      ["btcusdt@kline_1m", "BTCUSDT", open],
      ["solusdt@kline_1m", "SOLUSDT", open],
    ]);
    for (const f of closes) expect(f.data.k.c).toBe(exchange.truth(f.data.s, "1m", open)!.close);
  });

  test("usdm: /market/ws/a/b sends both streams raw", async () => {
    const { clock, exchange, connect } = await setup("usdm");
    await using _ = exchange;
    const client = await connect("/market/ws/btcusdt@kline_1m/solusdt@kline_1m");
    await clock.advance(2000);
    const frames = [await client.nextJson(), await client.nextJson()];
    expect(frames.map((f) => [Object.keys(f).join(","), f.s, f.k.x])).toEqual([
      ["e,E,s,k", "BTCUSDT", false],
      ["e,E,s,k", "SOLUSDT", false],
    ]);
  });

  test("coinm: btcusd_perp@kline_1m closes with s BTCUSD_PERP, raw and combined", async () => {
    const { clock, exchange, connect } = await setup("coinm");
    await using _ = exchange;
    const combined = await connect("/stream?streams=btcusd_perp@kline_1m");
    const raw = await connect("/ws/btcusd_perp@kline_1m");
    await clock.advance(MINUTE);
    const open = T0 + 10 * MINUTE;
    const truth = exchange.truth("BTCUSD_PERP", "1m", open)!;
    const lastOf = async (client: typeof raw, unwrap: (f: any) => any) => {
      for (;;) {
        const event = unwrap(await client.nextJson());
        if (event.k.x) return event;
      }
    };
    const a = await lastOf(combined, (f) => {
      expect(f.stream).toBe("btcusd_perp@kline_1m");
      return f.data;
    });
    const b = await lastOf(raw, (f) => f);
    for (const event of [a, b]) expect(event).toMatchObject({ e: "kline", s: "BTCUSD_PERP", k: { t: open, s: "BTCUSD_PERP", i: "1m", x: true, o: truth.open, c: truth.close } });
    expect(Number(truth.close)).toBeGreaterThan(30_000);
  });

  test.each(["usdm", "coinm"] as const)("%s: a @kline_1s stream is accepted and sends nothing, as Binance does with a stream it does not have", async (market) => {
    const { clock, exchange, connect } = await setup(market);
    await using _ = exchange;
    const symbol = SYMBOLS[market][0]!.toLowerCase();
    const root = market === "usdm" ? "/market" : "";
    const client = await connect(`${root}/ws/${symbol}@kline_1s`);
    client.send({ method: "SUBSCRIBE", params: [`${symbol}@kline_1m`], id: 1 });
    expect(await client.nextJson()).toEqual({ result: null, id: 1 });
    client.send({ method: "LIST_SUBSCRIPTIONS", id: 2 });
    expect(await client.nextJson()).toEqual({ result: [`${symbol}@kline_1s`, `${symbol}@kline_1m`], id: 2 });
    await clock.advance(4000);
    const events = [await client.nextJson(), await client.nextJson()];
    await Bun.sleep(50);
    expect(client.unread).toBe(0);
    expect(events.map((e) => e.k.i)).toEqual(["1m", "1m"]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("incoming messages per second", () => {
  test.each(["usdm", "coinm"] as const)("%s: 10 messages a second are fine, the 11th closes 1008", async (market) => {
    const { clock, exchange, connect } = await setup(market);
    await using _ = exchange;
    const client = await connect(market === "usdm" ? "/market/ws" : "/ws");
    for (let i = 0; i < 10; i++) client.send({ method: "LIST_SUBSCRIPTIONS", id: i });
    for (let i = 0; i < 10; i++) expect(await client.nextJson()).toEqual({ result: [], id: i });
    await clock.advance(1000);
    for (let i = 0; i < 10; i++) client.ws.pong();
    await Bun.sleep(50);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.pong();
    expect(await client.closed).toEqual({ code: 1008, reason: "Too many requests" });
    expect(exchange.stats().limits.messages1008).toBe(1);
  });

  test("spot: the 6th message in a second already closes 1008", async () => {
    const { exchange, connect } = await setup("spot");
    await using _ = exchange;
    const client = await connect("/ws");
    for (let i = 0; i < 6; i++) client.ws.pong();
    expect(await client.closed).toEqual({ code: 1008, reason: "Too many requests" });
  });
});
