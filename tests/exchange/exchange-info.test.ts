import { afterEach, describe, expect, test } from "bun:test";
import { fetchExchangeInfo, parseExchangeInfo } from "../../src/exchange/exchange-info.ts";
import { createRestBudget } from "../../src/exchange/rest-budget.ts";
import { systemClock } from "../../src/clock.ts";

const symbol = (name: string, extra: Record<string, unknown> = {}) => ({ symbol: name, status: "TRADING", baseAsset: name.slice(0, 3), quoteAsset: name.slice(3), ...extra });
const weightLimit = (limit: number, intervalNum = 1, interval = "MINUTE") => ({ rateLimitType: "REQUEST_WEIGHT", interval, intervalNum, limit });
const ORDERS = { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 };

describe("parseExchangeInfo", () => {
  test("reads symbols, with isSpotTradingAllowed defaulting to true", () => {
    const info = parseExchangeInfo({
      timezone: "UTC",
      rateLimits: [weightLimit(6000), ORDERS],
      symbols: [symbol("BTCUSDT", { isSpotTradingAllowed: true, filters: [] }), symbol("ETHBTC", { status: "BREAK", isSpotTradingAllowed: false }), symbol("BNBEUR")],
    });
    expect(info).toEqual({
      requestWeightPerMinute: 6000,
      symbols: [
        { symbol: "BTCUSDT", status: "TRADING", baseAsset: "BTC", quoteAsset: "USDT", spotTradingAllowed: true },
        { symbol: "ETHBTC", status: "BREAK", baseAsset: "ETH", quoteAsset: "BTC", spotTradingAllowed: false },
        { symbol: "BNBEUR", status: "TRADING", baseAsset: "BNB", quoteAsset: "EUR", spotTradingAllowed: true },
      ],
    });
  });

  test.each([
    ["one per-minute limit", [weightLimit(1000)], 1000],
    ["a limit over 5 minutes, per minute", [weightLimit(30_000, 5)], 6000],
    ["the strictest of two", [weightLimit(6000), weightLimit(12_000, 5)], 2400],
    ["intervalNum absent means 1", [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", limit: 1200 }], 1200],
    ["no minute limit", [ORDERS, weightLimit(100, 1, "SECOND")], undefined],
    ["no rateLimits at all", undefined, undefined],
  ])("request weight: %s", (_name, rateLimits, expected) => {
    expect(parseExchangeInfo({ symbols: [], rateLimits }).requestWeightPerMinute).toBe(expected);
  });

  test.each([
    ["not an object", [], "not an object"],
    ["no symbols", { rateLimits: [] }, "no symbols list"],
    ["a symbol that is not an object", { symbols: [symbol("BTCUSDT"), 3] }, "symbols[1] is not an object"],
    ["a symbol without a quote asset", { symbols: [{ symbol: "X", status: "TRADING", baseAsset: "X" }] }, "symbols[0].quoteAsset"],
    ["a non-boolean isSpotTradingAllowed", { symbols: [symbol("BTCUSDT", { isSpotTradingAllowed: "yes" })] }, "isSpotTradingAllowed is not a boolean"],
    ["rateLimits not a list", { symbols: [], rateLimits: {} }, "rateLimits is not a list"],
    ["a weight limit without a number", { symbols: [], rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", limit: "6000" }] }, "rateLimits[0]"],
  ])("a malformed answer throws a clear Error: %s", (_name, body, message) => {
    expect(() => parseExchangeInfo(body)).toThrow(message);
  });
});

describe("fetchExchangeInfo", () => {
  let server: ReturnType<typeof Bun.serve> | undefined;
  afterEach(() => server?.stop(true));

  test("GETs /api/v3/exchangeInfo through the budget (weight 20), retries a 5xx and a malformed answer, and sets the budget's limit", async () => {
    const paths: string[] = [];
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) => {
        paths.push(new URL(req.url).pathname);
        if (paths.length === 1) return new Response("busy", { status: 503 });
        if (paths.length === 2) return Response.json({ symbols: "nope" });
        return Response.json({ rateLimits: [weightLimit(1000)], symbols: [symbol("BTCUSDT")] }, { headers: { "x-mbx-used-weight-1m": "60" } });
      },
    });
    const budget = createRestBudget({ clock: systemClock });
    const info = await fetchExchangeInfo({ restUrl: `http://127.0.0.1:${server.port}/api/v3/`, budget });
    expect(info.symbols.map((s) => s.symbol)).toEqual(["BTCUSDT"]);
    expect(paths).toEqual(["/api/v3/exchangeInfo", "/api/v3/exchangeInfo", "/api/v3/exchangeInfo"]);
    const snap = budget.snapshot();
    expect(snap).toMatchObject({ limitPerMinute: 1000, capPerMinute: 800, granted: 3, inFlight: 0 });
    expect(snap.peakPerMinute).toBeGreaterThanOrEqual(60);
  });

  test("gives up after maxAttempts with the reason", async () => {
    server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ symbols: [{}] }) });
    const err = await fetchExchangeInfo({ restUrl: `http://127.0.0.1:${server.port}`, maxAttempts: 1 }).catch((e: Error) => e);
    expect(String(err)).toContain("malformed answer: exchangeInfo symbols[0]");
  });
});
