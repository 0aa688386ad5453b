import { describe, expect, test } from "bun:test";
import { connectClient, startFakeBinance, waitUntil } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);

async function setup(options: Parameters<typeof startFakeBinance>[0] = {}) {
  const clock = new FakeClock(T0);
  const logs: string[] = [];
  const exchange = await startFakeBinance({ clock, log: (line) => logs.push(line), ...options });
  const connect = async (path: string) => {
    const before = exchange.stats().openConnections;
    const client = await connectClient(`${exchange.wsUrl}${path}`);
    await waitUntil(() => exchange.stats().openConnections > before, 3000, "the server to see the connection");
    return client;
  };
  return { clock, exchange, connect, logs };
}

describe("stream faults hit every connection open at that moment", () => {
  test("drop terminates without a close frame (1006) and is logged and counted", async () => {
    const { exchange, connect, logs } = await setup();
    await using _ = exchange;
    const [a, b] = [await connect("/ws"), await connect("/stream?streams=btcusdt@kline_1s")];
    exchange.drop();
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    expect(logs).toEqual(["fault drop (2 open connections)"]);
    expect(exchange.stats().faults).toEqual({ drop: 1 });
  });

  test("close sends the code and reason given", async () => {
    const { exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws");
    exchange.close(1008, "too many requests");
    expect(await client.closed).toEqual({ code: 1008, reason: "too many requests" });
  });

  test("stall sends nothing at all, not even pings, and keeps the connection open; then it resumes", async () => {
    const { clock, exchange, connect } = await setup({ pingIntervalMs: 5000 });
    await using _ = exchange;
    const client = await connect("/ws/btcusdt@kline_1s");
    exchange.stall(10_000);
    await clock.advance(9_999);
    await Bun.sleep(50);
    expect(client.received).toEqual([]);
    expect(client.pings).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    await clock.advance(1);
    expect((await client.nextJson()).k).toMatchObject({ t: T0 + 9_000, x: true });
    await clock.advance(500);
    expect((await client.nextJson()).k).toMatchObject({ t: T0 + 10_000, x: false });
  });

  test("refuse answers new upgrades with 503 while open connections stay; after it, connects work again", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const old = await connect("/ws");
    exchange.refuse(5000);
    await expect(connectClient(`${exchange.wsUrl}/ws`)).rejects.toThrow(/503/);
    expect(old.ws.readyState).toBe(WebSocket.OPEN);
    await clock.advance(5000);
    const fresh = await connect("/ws");
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("skipclose drops the next close event of each stream, only that one", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=btcusdt@kline_1s/ethusdt@kline_1s");
    exchange.skipClose();
    await clock.advance(2000);
    const frames = [];
    for (let i = 0; i < 6; i++) frames.push(await client.nextJson());
    const closes = frames.filter((f) => f.data.k.x).map((f) => [f.stream, f.data.k.t - T0]);
    expect(closes).toEqual([["btcusdt@kline_1s", 1000], ["ethusdt@kline_1s", 1000]]);
  });

  test("dupclose sends the next close event twice, identical", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/ws/btcusdt@kline_1s");
    exchange.dupClose();
    await clock.advance(2000);
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await client.next());
    const closes = frames.filter((f) => JSON.parse(f).k.x);
    expect(closes).toHaveLength(3);
    expect(closes[0]).toBe(closes[1]!);
    expect(JSON.parse(closes[2]!).k.t).toBe(T0 + 1000);
  });

  test("garbage sends a frame that is not JSON and one that is not a valid kline", async () => {
    const { exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=btcusdt@kline_1m");
    exchange.garbage();
    const first = await client.next();
    expect(() => JSON.parse(first)).toThrow();
    const second = await client.nextJson();
    expect(second).toMatchObject({ stream: "btcusdt@kline_1m", data: { e: "kline" } });
    expect(typeof second.data.k).not.toBe("object");
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  test("shutdown sends serverShutdown in the raw and the combined shape, then closes a moment later", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const raw = await connect("/ws/btcusdt@kline_1m");
    const combined = await connect("/stream?streams=btcusdt@kline_1m");
    exchange.shutdown();
    expect(await raw.nextJson()).toEqual({ e: "serverShutdown", E: T0 });
    expect(await combined.nextJson()).toEqual({ stream: "!serverShutdown", data: { e: "serverShutdown", E: T0 } });
    await Bun.sleep(30);
    expect(raw.ws.readyState).toBe(WebSocket.OPEN);
    await clock.advance(1000);
    expect((await raw.closed).code).toBe(1001);
    expect((await combined.closed).code).toBe(1001);
  });
});

describe("REST faults hit the next N requests", () => {
  test("rest429: 429 with Retry-After: 1 and Binance's body, then normal answers", async () => {
    const { exchange } = await setup();
    await using _ = exchange;
    exchange.rest429(2);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await fetch(`${exchange.url}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1`));
    expect(answers.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(answers[0]!.headers.get("retry-after")).toBe("1");
    expect(((await answers[0]!.json()) as any).code).toBe(-1003);
    expect(exchange.stats().restRequests).toBe(3);
  });

  test("rest5xx: 500, 502, 503 in turn, then normal answers", async () => {
    const { exchange } = await setup();
    await using _ = exchange;
    exchange.rest5xx(3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${exchange.url}/api/v3/time`)).status);
    expect(statuses).toEqual([500, 502, 503, 200]);
  });
});

describe("a fault schedule", () => {
  test("fires each item at its time from the start, repeats with every:, and logs each one", async () => {
    const { clock, exchange, connect, logs } = await setup({ faults: "drop@1s,rest429:1@2s,every:5s" });
    await using _ = exchange;
    const first = await connect("/ws");
    await clock.advance(1000);
    expect((await first.closed).code).toBe(1006);
    await clock.advance(1000);
    expect((await fetch(`${exchange.url}/api/v3/ping`)).status).toBe(429);
    const second = await connect("/ws");
    await clock.advance(3999);
    await Bun.sleep(30);
    expect(second.ws.readyState).toBe(WebSocket.OPEN);
    await clock.advance(1);
    expect((await second.closed).code).toBe(1006);
    expect(logs).toEqual(["fault drop (1 open connection)", "fault rest429:1 (0 open connections)", "fault drop (1 open connection)"]);
    expect(exchange.stats().faults).toEqual({ drop: 2, rest429: 1 });
  });

  test("a bad schedule refuses to start, naming the item", async () => {
    await expect(startFakeBinance({ faults: "drop@30s,explode@1m" })).rejects.toThrow(/"explode@1m"/);
  });
});
