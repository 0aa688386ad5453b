import { describe, expect, test } from "bun:test";
import { connectClient, startFakeBinance, waitUntil } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

async function setup(options: Parameters<typeof startFakeBinance>[0] = {}) {
  const clock = new FakeClock(T0);
  const warnings: string[] = [];
  const exchange = await startFakeBinance({ clock, log: (line, level) => void (level === "warn" && warnings.push(line)), ...options });
  const connect = async (path: string) => {
    const before = exchange.stats().openConnections;
    const client = await connectClient(`${exchange.wsUrl}${path}`);
    await waitUntil(() => exchange.stats().openConnections > before, 3000, "the server to see the connection");
    return client;
  };
  const limits = () => exchange.stats().limits;
  return { clock, exchange, connect, warnings, limits };
}

const names = (count: number, width = 0) => Array.from({ length: count }, (_, i) => `s${String(i).padStart(width, "0")}usdt@kline_1m`);

describe("stream connection limits", () => {
  test("a request target over 8000 characters is a 414 URI Too Long, no upgrade; 8000 is fine", async () => {
    const { exchange, connect, warnings, limits } = await setup();
    await using _ = exchange;
    const long = `/stream?streams=${names(500, 4).join("/")}`;
    expect(long.length).toBeGreaterThan(8000);
    const response = await fetch(`${exchange.url}${long}`);
    expect([response.status, await response.text()]).toEqual([414, "URI Too Long"]);
    await expect(connectClient(`${exchange.wsUrl}${long}`)).rejects.toThrow(/414/);
    const fits = `/stream?streams=${"x".repeat(8000 - "/stream?streams=".length)}`;
    expect(fits.length).toBe(8000);
    await connect(fits);
    expect(exchange.stats()).toMatchObject({ connections: 1, limits: { uri414: 2 } });
    expect(limits().uri414).toBe(2);
    expect(warnings[0]).toMatch(/^limit uri414: a \d{4}-character request target \(at most 8000\)$/);
  });

  test("more than 1024 streams in the URL is a 400 with a Binance-like JSON error", async () => {
    const { exchange, connect, limits } = await setup();
    await using _ = exchange;
    const many = (count: number) => `/stream?streams=${Array.from({ length: count }, (_, i) => i.toString(36)).join("/")}`;
    const response = await fetch(`${exchange.url}${many(1025)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: -1101, msg: "Too many streams: 1025 requested, at most 1024 per connection." });
    await expect(connectClient(`${exchange.wsUrl}${many(1025)}`)).rejects.toThrow(/400/);
    await connect(many(1024));
    expect(limits().tooManyStreams).toBe(2);
    expect(exchange.stats().streamsServed).toBe(1024);
  });

  test("a SUBSCRIBE past 1024 streams gets an error reply, then close 1008", async () => {
    const { exchange, connect, limits } = await setup();
    await using _ = exchange;
    const client = await connect("/ws");
    client.send({ method: "SUBSCRIBE", params: names(1000), id: 1 });
    expect(await client.nextJson()).toEqual({ result: null, id: 1 });
    client.send({ method: "SUBSCRIBE", params: names(1030).slice(1000), id: 2 });
    const reply = await client.nextJson();
    expect(reply.id).toBe(2);
    expect(reply.error.msg).toContain("too many streams: 1030 requested, at most 1024");
    expect(await client.closed).toEqual({ code: 1008, reason: "Too many streams" });
    expect(limits().tooManyStreams).toBe(1);
  });

  test("more than 300 connection attempts in 5 minutes: 429, counting refused attempts; the window slides", async () => {
    const { clock, exchange, connect, warnings, limits } = await setup();
    await using _ = exchange;
    const attempt = async () => {
      const client = await connect("/ws");
      client.ws.close();
      await client.closed;
    };
    for (let i = 0; i < 150; i++) await attempt();
    await clock.advance(4 * MINUTE);
    for (let i = 0; i < 150; i++) await attempt();
    await expect(connectClient(`${exchange.wsUrl}/ws`)).rejects.toThrow(/429/);
    expect((await fetch(`${exchange.url}/ws`, { headers: { upgrade: "websocket" } })).status).toBe(429);
    await clock.advance(MINUTE);
    await attempt(); // the first 150 have left the window
    expect(limits().attempts429).toBe(2);
    expect(exchange.stats().connections).toBe(301);
    expect(warnings[0]).toBe("limit attempts429: over 300 connection attempts in 5 minutes");
  });

  test("more than 5 pongs (or pings) a second closes the connection 1008, 5 a second is fine", async () => {
    const { clock, exchange, connect, limits } = await setup();
    await using _ = exchange;
    const client = await connect("/ws");
    for (let i = 0; i < 5; i++) client.ws.pong();
    await Bun.sleep(50);
    await clock.advance(1000);
    for (let i = 0; i < 5; i++) client.ws.ping();
    await Bun.sleep(50);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    await clock.advance(1000);
    for (let i = 0; i < 6; i++) client.ws.pong();
    expect(await client.closed).toEqual({ code: 1008, reason: "Too many requests" });
    expect(limits().messages1008).toBe(1);
  });
});

describe("REST weight", () => {
  test("exchangeInfo announces the limit; over it a 429 to the end of the minute, then 418 and a 2-minute ban", async () => {
    const { clock, exchange, warnings, limits } = await setup({ restWeightLimit: 100 });
    await using _ = exchange;
    await clock.advance(15_000);
    const get = (path: string) => fetch(`${exchange.url}${path}`);
    const info = (await (await get("/api/v3/exchangeInfo")).json()) as any;
    expect(info.rateLimits[0]).toEqual({ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 100 });
    for (let i = 0; i < 40; i++) expect((await get("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1")).status).toBe(200);
    const over = await get("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1");
    expect([over.status, over.headers.get("retry-after"), over.headers.get("x-mbx-used-weight-1m")]).toEqual([429, "45", "102"]);
    expect(((await over.json()) as any).code).toBe(-1003);

    await clock.advance(5000);
    const banned = await get("/api/v3/time");
    expect([banned.status, banned.headers.get("retry-after"), banned.headers.get("x-mbx-used-weight-1m")]).toEqual([418, "120", "102"]);
    expect(((await banned.json()) as any).msg).toContain(`IP banned until ${T0 + 20_000 + 120_000}`);
    await clock.advance(60_000);
    const still = await get("/api/v3/ping");
    expect([still.status, still.headers.get("retry-after"), still.headers.get("x-mbx-used-weight-1m")]).toEqual([418, "60", "0"]);
    await clock.advance(60_000);
    expect((await get("/api/v3/ping")).status).toBe(200);

    expect(limits()).toMatchObject({ rest429: 1, rest418: 2 });
    expect(exchange.stats().peakWeightPerMinute).toBe(102);
    expect(warnings).toEqual([
      "limit rest429: 102/100 weight this minute (/api/v3/klines); Retry-After 45 s",
      "limit rest418: /api/v3/time ignored a pending Retry-After: IP banned for 120 s",
      "limit rest418: /api/v3/ping during the IP ban, left 60 s",
    ]);
  });

  test("injected rest429 faults are counted as faults, not as limit refusals, and set no ban", async () => {
    const { exchange, limits } = await setup();
    await using _ = exchange;
    exchange.rest429(1);
    expect((await fetch(`${exchange.url}/api/v3/ping`)).status).toBe(429);
    expect((await fetch(`${exchange.url}/api/v3/ping`)).status).toBe(200);
    expect(limits()).toMatchObject({ rest429: 0, rest418: 0 });
    expect(exchange.stats().faults).toEqual({ rest429: 1 });
  });

  test("GET /sim/stats serves stats() as JSON and uses no weight", async () => {
    const { exchange, connect } = await setup();
    await using _ = exchange;
    await connect("/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m");
    await fetch(`${exchange.url}/api/v3/exchangeInfo`);
    const stats = (await (await fetch(`${exchange.url}/sim/stats`)).json()) as any;
    expect(stats).toEqual({
      connections: 1,
      openConnections: 1,
      restRequests: 1,
      faults: {},
      limits: { uri414: 0, tooManyStreams: 0, attempts429: 0, messages1008: 0, rest429: 0, rest418: 0 },
      streamsServed: 2,
      peakWeightPerMinute: 20,
    });
    expect(exchange.stats()).toEqual(stats);
  });
});
