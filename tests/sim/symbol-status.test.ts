import { describe, expect, test } from "bun:test";
import { connectClient, startFakeBinance, waitUntil, type TestClient } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

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
  const get = async (path: string) => {
    const response = await fetch(`${exchange.url}${path}`);
    return { status: response.status, body: (await response.json()) as any };
  };
  const status = async (symbol: string) => (await get(`/api/v3/exchangeInfo?symbol=${symbol}`)).body.symbols?.[0]?.status;
  const opens = async (query: string) => ((await get(`/api/v3/klines?${query}`)).body as number[][]).map((r) => (r[0]! - T0) / MINUTE);
  return { clock, exchange, connect, get, status, opens, logs };
}

/** Every frame received so far, parsed (combined), after a short real-time settle. */
async function drain(client: TestClient): Promise<{ stream: string; data: any }[]> {
  await Bun.sleep(60);
  const out = [];
  while (client.unread > 0) out.push(await client.nextJson());
  return out;
}

describe("halt and resume", () => {
  test("a halted symbol sends nothing on its streams, exchangeInfo says HALT, and REST has no candles after the halt", async () => {
    const { clock, exchange, connect, status, opens, logs } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=ethusdt@kline_1m/btcusdt@kline_1m");
    await clock.advance(MINUTE);
    expect((await drain(client)).filter((f) => f.data.k.x).map((f) => f.stream)).toEqual(["ethusdt@kline_1m", "btcusdt@kline_1m"]);

    expect(exchange.halt("ETHUSDT")).toBe("ETHUSDT");
    expect(logs.at(-1)).toBe("fault halt:ETHUSDT (1 open connection)");
    expect(await status("ETHUSDT")).toBe("HALT");
    await clock.advance(MINUTE);
    const during = await drain(client);
    expect(during.length).toBe(30);
    expect(during.every((f) => f.stream === "btcusdt@kline_1m")).toBe(true);
    expect(exchange.truth("ETHUSDT", "1m", T0 + MINUTE)).toBeUndefined();
    expect(exchange.truth("ETHUSDT", "1m", T0)).toBeDefined();
    expect(await opens(`symbol=ETHUSDT&interval=1m&startTime=${T0 - 2 * MINUTE}`)).toEqual([-2, -1, 0]);
    expect(await opens("symbol=ETHUSDT&interval=1m&limit=2")).toEqual([-1, 0]);

    await clock.advance(30_000);
    expect(exchange.resume("ETHUSDT")).toBe("ETHUSDT");
    expect(await status("ETHUSDT")).toBe("TRADING");
    await clock.advance(30_000);
    const after = (await drain(client)).filter((f) => f.stream === "ethusdt@kline_1m");
    expect(after.length).toBeGreaterThan(5);
    // The candle containing the resume exists again: updates from the resume, then its close.
    expect(after.every((f) => f.data.k.t === T0 + 2 * MINUTE)).toBe(true);
    expect(after[0]!.data.E).toBeGreaterThan(T0 + 150_000);
    expect(after.at(-1)!.data.k.x).toBe(true);
    expect(await opens(`symbol=ETHUSDT&interval=1m&startTime=${T0}`)).toEqual([0, 2, 3]);
  });

  test("without a symbol, halt picks a USDT symbol that is not the first, deterministically; resume takes the last halted", async () => {
    const picks = [];
    for (let run = 0; run < 2; run++) {
      const { exchange, status, logs } = await setup({ generate: 60, seed: 5 });
      await using _ = exchange;
      const first = exchange.halt()!;
      const second = exchange.halt()!;
      expect(first).toMatch(/USDT$/);
      expect(first).not.toBe("BTCUSDT");
      expect(second).not.toBe(first);
      expect(await status(first)).toBe("HALT");
      expect(logs).toContain(`fault halt:${first} (0 open connections)`);
      expect(exchange.resume()).toBe(second);
      expect(await status(second)).toBe("TRADING");
      picks.push([first, second]);
    }
    expect(picks[1]).toEqual(picks[0]!);
  });

  test("halting what is not TRADING does nothing and says why", async () => {
    const { exchange, logs } = await setup();
    await using _ = exchange;
    expect(exchange.halt("DOGEUSDT")).toBeUndefined();
    expect(exchange.resume("BTCUSDT")).toBeUndefined();
    expect(logs).toEqual(["fault halt: nothing done, DOGEUSDT is not TRADING (0 open connections)", "fault resume: nothing done, BTCUSDT is not halted (0 open connections)"]);
  });
});

describe("listing", () => {
  test("unknown (-1121) before; from the listing its first candle is the one containing it, on REST and on streams", async () => {
    const { clock, exchange, connect, get, status, opens } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=newusdt@kline_1m/newusdt@kline_1s");
    await clock.advance(90_000);
    expect((await get("/api/v3/klines?symbol=NEWUSDT&interval=1m")).body).toEqual({ code: -1121, msg: "Invalid symbol." });
    expect((await get("/api/v3/exchangeInfo?symbol=NEWUSDT")).status).toBe(400);
    expect(await drain(client)).toEqual([]);

    expect(exchange.listing("NEWUSDT")).toBe("NEWUSDT");
    expect(await status("NEWUSDT")).toBe("TRADING");
    const all = (await get("/api/v3/exchangeInfo")).body.symbols.map((s: any) => s.symbol);
    expect(all).toEqual(["BTCUSDT", "ETHUSDT", "PEPEUSDT", "NEWUSDT"]);
    expect(await opens("symbol=NEWUSDT&interval=1m&startTime=0")).toEqual([1]);
    expect(await opens("symbol=NEWUSDT&interval=1m")).toEqual([1]);
    expect((await get("/api/v3/klines?symbol=NEWUSDT&interval=1s&startTime=0")).body[0][0]).toBe(T0 + 90_000);
    expect(exchange.truth("NEWUSDT", "1m", T0)).toBeUndefined();

    await clock.advance(30_000);
    const frames = await drain(client);
    const closes = frames.filter((f) => f.data.k.x).map((f) => [f.stream, f.data.k.t - T0]);
    expect(closes[0]).toEqual(["newusdt@kline_1s", 90_000]);
    expect(closes.filter(([stream]) => stream === "newusdt@kline_1m")).toEqual([["newusdt@kline_1m", MINUTE]]);
    expect(closes.filter(([stream]) => stream === "newusdt@kline_1s")).toHaveLength(30);
    expect(frames.filter((f) => f.stream === "newusdt@kline_1m" && !f.data.k.x).every((f) => f.data.k.t === T0 + MINUTE)).toBe(true);
  });

  test("without a symbol, a new generated USDT name; a schedule lists, halts and resumes, logging each symbol", async () => {
    const { clock, exchange, status, logs } = await setup({ faults: "listing@1m,halt:ethusdt@2m,resume@3m" });
    await using _ = exchange;
    const made = exchange.listing()!;
    expect(made).toMatch(/^[A-Z0-9]{2,16}USDT$/);
    expect(["BTCUSDT", "ETHUSDT", "PEPEUSDT"]).not.toContain(made);
    expect(exchange.listing(made)).toBeUndefined();
    await clock.advance(MINUTE);
    const scheduled = /^fault listing:([A-Z0-9]+) /.exec(logs.at(-1)!)![1]!;
    expect(scheduled).not.toBe(made);
    expect(await status(scheduled)).toBe("TRADING");
    await clock.advance(MINUTE);
    expect(await status("ETHUSDT")).toBe("HALT");
    await clock.advance(MINUTE);
    expect(await status("ETHUSDT")).toBe("TRADING");
    expect(logs.slice(-2)).toEqual(["fault halt:ETHUSDT (0 open connections)", "fault resume:ETHUSDT (0 open connections)"]);
    expect(exchange.stats().faults).toEqual({ listing: 3, halt: 1, resume: 1 });
  });
});
