import { describe, expect, test } from "bun:test";
import { liveKline } from "../../src/sim/candles.ts";
import { startFakeBinance } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

async function setup(now = T0 + 10 * MINUTE + 30_000) {
  const clock = new FakeClock(now);
  const exchange = await startFakeBinance({ clock });
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${exchange.url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  return { clock, exchange, get };
}

describe("GET /api/v3/klines", () => {
  test("without a range: the last 500 candles, oldest first, the still-open candle last", async () => {
    const { clock, exchange, get } = await setup();
    await using _ = exchange;
    const { status, body, headers } = await get("/api/v3/klines?symbol=BTCUSDT&interval=1m");
    expect(status).toBe(200);
    expect(headers.get("content-type")).toContain("application/json");
    expect(body).toHaveLength(500);
    const opens = body.map((row: unknown[]) => row[0]);
    expect(opens.at(-1)).toBe(T0 + 10 * MINUTE);
    expect(opens[0]).toBe(T0 + 10 * MINUTE - 499 * MINUTE);
    expect(opens.every((t: number, i: number) => i === 0 || t - opens[i - 1] === MINUTE)).toBe(true);
    const open = exchange.truth("BTCUSDT", "1m", T0 + 10 * MINUTE)!;
    const live = liveKline(open, clock.now());
    expect(body.at(-1)).toEqual([live.openTime, live.open, live.high, live.low, live.close, live.volume, live.closeTime, live.quoteVolume, live.trades, live.takerBuyBase, live.takerBuyQuote, "0"]);
    expect(body.at(-1)[5]).not.toBe(open.volume);
  });

  test("closed rows are the truth, field by field, with Binance's 12 columns", async () => {
    const { exchange, get } = await setup();
    await using _ = exchange;
    const { body } = await get(`/api/v3/klines?symbol=PEPEUSDT&interval=1m&startTime=${T0}&limit=10`);
    expect(body).toHaveLength(10);
    for (const row of body) {
      const k = exchange.truth("PEPEUSDT", "1m", row[0])!;
      expect(row).toEqual([k.openTime, k.open, k.high, k.low, k.close, k.volume, k.closeTime, k.quoteVolume, k.trades, k.takerBuyBase, k.takerBuyQuote, "0"]);
      expect(typeof row[8]).toBe("number");
      expect(row[1]).toMatch(/^0\.0000\d{4}$/);
    }
  });

  test.each([
    ["startTime alone: the oldest from startTime", `startTime=${T0 + 2 * MINUTE}&limit=3`, [2, 3, 4]],
    ["an unaligned startTime starts at the next open", `startTime=${T0 + 2 * MINUTE + 1}&limit=2`, [3, 4]],
    ["startTime and endTime: not past endTime", `startTime=${T0 + 2 * MINUTE}&endTime=${T0 + 4 * MINUTE}`, [2, 3, 4]],
    ["endTime alone: the most recent up to endTime", `endTime=${T0 + 4 * MINUTE + 5}&limit=2`, [3, 4]],
    ["the range stops at the open candle", `startTime=${T0 + 8 * MINUTE}&endTime=${T0 + 60 * MINUTE}`, [8, 9, 10]],
    ["startTime and endTime in µs", `startTime=${(T0 + 2 * MINUTE) * 1000}&endTime=${(T0 + 3 * MINUTE) * 1000}`, [2, 3]],
    ["a range in the future is empty", `startTime=${T0 + 20 * MINUTE}`, []],
  ])("%s", async (_name, query, minutes) => {
    const { exchange, get } = await setup();
    await using _ = exchange;
    const { status, body } = await get(`/api/v3/klines?symbol=ETHUSDT&interval=1m&${query}`);
    expect(status).toBe(200);
    expect(body.map((row: number[]) => (row[0]! - T0) / MINUTE)).toEqual(minutes);
  });

  test("limit is capped at 1000", async () => {
    const { exchange, get } = await setup(T0 + 2000 * MINUTE);
    await using _ = exchange;
    const { body } = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${T0}&limit=5000`);
    expect(body).toHaveLength(1000);
  });

  test("an exchange gap is absent, and paging goes on past it", async () => {
    const { exchange, get } = await setup();
    await using _ = exchange;
    exchange.exchangeGap("BTCUSDT", "1m", T0 + 3 * MINUTE);
    const { body } = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${T0 + 2 * MINUTE}&limit=3`);
    expect(body.map((row: number[]) => (row[0]! - T0) / MINUTE)).toEqual([2, 4, 5]);
  });

  test("X-MBX-TIME-UNIT: MICROSECOND gives open and close times in µs", async () => {
    const { exchange, get } = await setup();
    await using _ = exchange;
    const { body } = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${T0}&limit=1`, { "X-MBX-TIME-UNIT": "MICROSECOND" });
    expect([body[0][0], body[0][6]]).toEqual([T0 * 1000, (T0 + MINUTE - 1) * 1000]);
  });

  test.each([
    ["an unknown symbol", "symbol=DOGEUSDT&interval=1m", { code: -1121, msg: "Invalid symbol." }],
    ["a bad interval", "symbol=BTCUSDT&interval=7m", { code: -1120, msg: "Invalid interval." }],
    ["a missing symbol", "interval=1m", { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." }],
    ["a missing interval", "symbol=BTCUSDT", { code: -1102, msg: "Mandatory parameter 'interval' was not sent, was empty/null, or malformed." }],
    ["a lowercase symbol", "symbol=btcusdt&interval=1m", { code: -1100, msg: "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'." }],
    ["a non-numeric startTime", "symbol=BTCUSDT&interval=1m&startTime=yesterday", { code: -1100, msg: "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'." }],
    ["limit=0", "symbol=BTCUSDT&interval=1m&limit=0", { code: -1130, msg: "Data sent for parameter 'limit' is not valid." }],
  ])("%s is a 400 with Binance's error body", async (_name, query, error) => {
    const { exchange, get } = await setup();
    await using _ = exchange;
    const { status, body } = await get(`/api/v3/klines?${query}`);
    expect(status).toBe(400);
    expect(body).toEqual(error);
  });
});

describe("other endpoints", () => {
  test("/api/v3/time is the clock; /api/v3/ping is {}", async () => {
    const { clock, exchange, get } = await setup();
    await using _ = exchange;
    expect((await get("/api/v3/time")).body).toEqual({ serverTime: clock.now() });
    expect((await get("/api/v3/ping")).body).toEqual({});
  });

  test("/api/v3/exchangeInfo lists the symbols as TRADING, and only them", async () => {
    const { exchange, get } = await setup();
    await using _ = exchange;
    const all = await get("/api/v3/exchangeInfo");
    expect(all.body.symbols.map((s: any) => [s.symbol, s.status, s.baseAsset, s.quoteAsset])).toEqual([
      ["BTCUSDT", "TRADING", "BTC", "USDT"],
      ["ETHUSDT", "TRADING", "ETH", "USDT"],
      ["PEPEUSDT", "TRADING", "PEPE", "USDT"],
    ]);
    expect(all.body.rateLimits[0]).toEqual({ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 });
    const pepe = await get("/api/v3/exchangeInfo?symbol=PEPEUSDT");
    expect(pepe.body.symbols[0].filters[0]).toMatchObject({ filterType: "PRICE_FILTER", tickSize: "0.00000001" });
    const some = await get(`/api/v3/exchangeInfo?symbols=${encodeURIComponent('["ETHUSDT","BTCUSDT"]')}`);
    expect(some.body.symbols.map((s: any) => s.symbol)).toEqual(["ETHUSDT", "BTCUSDT"]);
    const unknown = await get("/api/v3/exchangeInfo?symbol=DOGEUSDT");
    expect([unknown.status, unknown.body.code]).toEqual([400, -1121]);
  });

  test("every response carries the used weight, counted per minute", async () => {
    const { clock, exchange, get } = await setup();
    await using _ = exchange;
    await get("/api/v3/time");
    const second = await get("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1");
    expect(second.headers.get("x-mbx-used-weight-1m")).toBe("3");
    expect(second.headers.get("x-mbx-used-weight")).toBe("3");
    await clock.advance(MINUTE);
    expect((await get("/api/v3/ping")).headers.get("x-mbx-used-weight-1m")).toBe("1");
  });

  test("past 6000 weight in a minute: 429 with Retry-After until the next minute", async () => {
    const { exchange, get } = await setup(T0 + 15_000);
    await using _ = exchange;
    for (let i = 0; i < 300; i++) expect((await get("/api/v3/exchangeInfo?symbol=BTCUSDT")).status).toBe(200);
    const refused = await get("/api/v3/ping");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("45");
    expect(refused.body.code).toBe(-1003);
  });
});
