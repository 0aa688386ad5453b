import { describe, expect, test } from "bun:test";
import { deliverySuffix, parseContract, quarterlyDeliveries } from "../../src/sim/contracts.ts";
import { parseFaults } from "../../src/sim/faults.ts";
import { startSimulatorFor } from "../../src/sim/for-run.ts";
import { generateFuturesSymbols } from "../../src/sim/generate-futures.ts";
import { listingName } from "../../src/sim/generate.ts";
import { parseStreamName } from "../../src/sim/streams.ts";
import { symbolProfile } from "../../src/sim/symbols.ts";
import { startFakeBinance } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

async function info(exchange: { url: string }, path: string) {
  return (await (await fetch(`${exchange.url}${path}`)).json()) as { rateLimits: Record<string, unknown>[]; symbols: Record<string, any>[] };
}

describe("exchangeInfo per market", () => {
  test("usdm: symbol, pair, contractType, status, base/quote/margin assets, no spot fields; REQUEST_WEIGHT 2400", async () => {
    await using exchange = await startFakeBinance({ clock: new FakeClock(T0), market: "usdm", symbols: ["BTCUSDT", "BTCUSDT_240628", "BTCUSDT_240329", "SOLUSDT"] });
    const body = await info(exchange, "/fapi/v1/exchangeInfo");
    expect(body.rateLimits[0]).toEqual({ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 });
    expect(body.symbols.map((s) => [s.symbol, s.pair, s.contractType, s.status, s.baseAsset, s.quoteAsset, s.marginAsset])).toEqual([
      ["BTCUSDT", "BTCUSDT", "PERPETUAL", "TRADING", "BTC", "USDT", "USDT"],
      ["BTCUSDT_240628", "BTCUSDT", "NEXT_QUARTER", "TRADING", "BTC", "USDT", "USDT"],
      ["BTCUSDT_240329", "BTCUSDT", "CURRENT_QUARTER", "TRADING", "BTC", "USDT", "USDT"],
      ["SOLUSDT", "SOLUSDT", "PERPETUAL", "TRADING", "SOL", "USDT", "USDT"],
    ]);
    expect(body.symbols[2]!.deliveryDate).toBe(Date.UTC(2024, 2, 29, 8));
    expect(body.symbols[0]!.deliveryDate).toBe(4_133_404_800_000);
    for (const s of body.symbols) {
      expect(s).not.toHaveProperty("isSpotTradingAllowed");
      expect(s).not.toHaveProperty("contractStatus");
      expect(s.filters.map((f: { filterType: string }) => f.filterType)).toEqual(["PRICE_FILTER", "LOT_SIZE"]);
    }
  });

  test("coinm: BTCUSD_PERP with pair BTCUSD, contractStatus (not status), quote USD, margin BTC", async () => {
    await using exchange = await startFakeBinance({ clock: new FakeClock(T0), market: "coinm", symbols: ["BTCUSD_PERP", "BTCUSD_240329", "ETHUSD_PERP"], restWeightLimit: 1200 });
    const body = await info(exchange, "/dapi/v1/exchangeInfo");
    expect(body.rateLimits[0]).toEqual({ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 });
    expect(body.symbols.map((s) => [s.symbol, s.pair, s.contractType, s.contractStatus, s.baseAsset, s.quoteAsset, s.marginAsset, s.contractSize])).toEqual([
      ["BTCUSD_PERP", "BTCUSD", "PERPETUAL", "TRADING", "BTC", "USD", "BTC", 100],
      ["BTCUSD_240329", "BTCUSD", "CURRENT_QUARTER", "TRADING", "BTC", "USD", "BTC", 100],
      ["ETHUSD_PERP", "ETHUSD", "PERPETUAL", "TRADING", "ETH", "USD", "ETH", 10],
    ]);
    for (const s of body.symbols) {
      expect(s).not.toHaveProperty("status");
      expect(s).not.toHaveProperty("isSpotTradingAllowed");
    }
  });

  test("a halt shows as SETTLING on usdm, DELIVERING on coinm; a default listing follows the market's names", async () => {
    await using usdm = await startFakeBinance({ clock: new FakeClock(T0), market: "usdm", symbols: ["BTCUSDT", "ETHUSDT", "SOLUSDT"] });
    expect(usdm.halt("ETHUSDT")).toBe("ETHUSDT");
    expect(usdm.listing()).toMatch(/^[A-Z0-9]+USDT$/);
    expect((await info(usdm, "/fapi/v1/exchangeInfo")).symbols.map((s) => s.status)).toEqual(["TRADING", "SETTLING", "TRADING", "TRADING"]);

    await using coinm = await startFakeBinance({ clock: new FakeClock(T0), market: "coinm", symbols: ["BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"] });
    expect(coinm.halt()).toMatch(/^(ETH|SOL)USD_PERP$/);
    expect(coinm.listing()).toMatch(/^[A-Z0-9]+USD_PERP$/);
    const statuses = (await info(coinm, "/dapi/v1/exchangeInfo")).symbols.map((s) => s.contractStatus);
    expect(statuses.filter((s) => s === "DELIVERING")).toHaveLength(1);
    expect(statuses).toHaveLength(4);
  });

  test("generated usdm market: USDT perpetuals, quarterlies of the next two deliveries, a few PENDING_TRADING", async () => {
    await using exchange = await startFakeBinance({ clock: new FakeClock(T0), market: "usdm", generate: 100 });
    const symbols = (await info(exchange, "/fapi/v1/exchangeInfo")).symbols;
    const trading = symbols.filter((s) => s.status === "TRADING");
    expect(trading).toHaveLength(100);
    expect(trading.slice(0, 3).map((s) => s.symbol)).toEqual(["BTCUSDT", "ETHUSDT", "BNBUSDT"]);
    expect(trading.filter((s) => s.contractType !== "PERPETUAL").map((s) => [s.symbol, s.contractType])).toEqual([
      ["BTCUSDT_240329", "CURRENT_QUARTER"],
      ["BTCUSDT_240628", "NEXT_QUARTER"],
      ["ETHUSDT_240329", "CURRENT_QUARTER"],
      ["ETHUSDT_240628", "NEXT_QUARTER"],
      ["BNBUSDT_240329", "CURRENT_QUARTER"],
    ]);
    expect(symbols.filter((s) => s.status === "PENDING_TRADING")).toHaveLength(3);
    for (const s of symbols) {
      expect(s.symbol).toMatch(/^[A-Z0-9]+USDT(_\d{6})?$/);
      expect([s.quoteAsset, s.marginAsset]).toEqual(["USDT", "USDT"]);
    }
  });

  test("generated coinm market: XXXUSD_PERP and XXXUSD_YYMMDD, all quoted in USD", () => {
    const market = generateFuturesSymbols("coinm", 40, 1, T0);
    expect(market.filter((s) => s.status === "TRADING")).toHaveLength(40);
    expect(market.slice(0, 2).map((s) => s.symbol)).toEqual(["BTCUSD_PERP", "ETHUSD_PERP"]);
    expect(market.filter((s) => !s.symbol.endsWith("_PERP")).map((s) => s.symbol)).toEqual(["BTCUSD_240329", "BTCUSD_240628"]);
    expect(new Set(market.map((s) => s.symbol)).size).toBe(market.length);
    for (const s of market) expect([s.quoteAsset, s.symbol.startsWith(`${s.baseAsset}USD_`)]).toEqual(["USD", true]);
    expect(generateFuturesSymbols("coinm", 40, 1, T0)).toEqual(market);
  });
});

describe("futures names", () => {
  test.each([
    ["BTCUSDT", { pair: "BTCUSDT" }],
    ["BTCUSD_PERP", { pair: "BTCUSD" }],
    ["BTCUSD_260327", { pair: "BTCUSD", delivery: Date.UTC(2026, 2, 27, 8) }],
    ["ETHUSDT_240628", { pair: "ETHUSDT", delivery: Date.UTC(2024, 5, 28, 8) }],
  ])("parseContract(%s)", (symbol, contract) => {
    expect(parseContract(symbol)).toEqual(contract);
  });

  test.each([
    [T0, ["240329", "240628"]],
    [Date.UTC(2026, 0, 15), ["260327", "260626"]],
    [Date.UTC(2026, 2, 27, 8) - 1, ["260327", "260626"]],
    [Date.UTC(2026, 2, 27, 8), ["260626", "260925"]],
    [Date.UTC(2026, 11, 1), ["261225", "270326"]],
  ])("quarterly deliveries after %d: the last Fridays of the next quarter months at 08:00 UTC", (now, suffixes) => {
    const deliveries = quarterlyDeliveries(now);
    expect(deliveries.map(deliverySuffix)).toEqual(suffixes);
    for (const t of deliveries) expect([new Date(t).getUTCDay(), new Date(t).getUTCHours()]).toEqual([5, 8]);
  });

  test("stream names, faults and listing names take symbols with an underscore", () => {
    expect(parseStreamName("btcusd_perp@kline_1m")).toEqual({ symbol: "BTCUSD_PERP", interval: "1m" });
    expect(parseStreamName("btcusdt_260327@kline_1h")).toEqual({ symbol: "BTCUSDT_260327", interval: "1h" });
    expect(parseStreamName("btcusd__perp@kline_1m")).toBeUndefined();
    expect(parseFaults("halt:BTCUSD_PERP@1m,silent:btcusd_perp@kline_1m@2m").items.map((i) => i.fault)).toEqual([
      { kind: "halt", symbol: "BTCUSD_PERP" },
      { kind: "silent", stream: "btcusd_perp@kline_1m" },
    ]);
    expect(listingName(1, 0, new Set(), "coinm")).toMatchObject({ symbol: expect.stringMatching(/^[A-Z0-9]+USD_PERP$/), quoteAsset: "USD" });
  });

  test("a contract trades at its pair's level: BTCUSD_PERP and BTCUSDT_260327 like BTCUSDT", () => {
    const btc = symbolProfile("BTCUSDT");
    for (const symbol of ["BTCUSD_PERP", "BTCUSDT_260327"]) expect(symbolProfile(symbol)).toMatchObject({ price: btc.price, priceDecimals: btc.priceDecimals });
    expect(symbolProfile("BTCUSD_PERP")).toMatchObject({ baseAsset: "BTC", quoteAsset: "USD" });
    expect(symbolProfile("ZOKAUSDT_260327").price).toBe(symbolProfile("ZOKAUSDT").price);
    expect(symbolProfile("PEPEUSDT")).toMatchObject({ baseAsset: "PEPE", quoteAsset: "USDT", priceDecimals: 8 });
  });
});

describe("run --simulate on a market", () => {
  test("usdm: the run is pointed at ws://HOST:PORT/market and http://HOST:PORT", async () => {
    const config = { symbols: ["BTCUSDT"], wsUrl: "wss://unused", restUrl: "https://unused", market: "usdm" as const };
    const exchange = (await startSimulatorFor(config, { simulate: true, seed: "3" }))!;
    try {
      expect(exchange.market).toBe("usdm");
      expect(config.wsUrl).toBe(`${exchange.url.replace("http", "ws")}/market`);
      expect(config.restUrl).toBe(exchange.url);
      expect((await fetch(`${config.restUrl}/fapi/v1/ping`)).status).toBe(200);
      expect((await fetch(`${config.restUrl}/api/v3/ping`)).status).toBe(404);
    } finally {
      await exchange.stop();
    }
  });

  test("without a market in the config it serves spot", async () => {
    const config = { symbols: ["BTCUSDT"], wsUrl: "wss://unused", restUrl: "https://unused" };
    const exchange = (await startSimulatorFor(config, { simulate: true }))!;
    try {
      expect([exchange.market, config.wsUrl]).toEqual(["spot", exchange.url.replace("http", "ws")]);
    } finally {
      await exchange.stop();
    }
  });

  test("coinm with no symbols named: a generated COIN-M market", async () => {
    const config = { symbols: [] as string[], wsUrl: "wss://unused", restUrl: "https://unused", market: "coinm" as const };
    const exchange = (await startSimulatorFor(config, { simulate: true, generate: "10" }))!;
    try {
      const body = await info(exchange, "/dapi/v1/exchangeInfo");
      expect(body.symbols[0]!.symbol).toBe("BTCUSD_PERP");
      expect(body.symbols.filter((s) => s.contractStatus === "TRADING")).toHaveLength(10);
    } finally {
      await exchange.stop();
    }
  });
});

test("a futures candle of a later hour still follows the truth (1h klines on coinm)", async () => {
  await using exchange = await startFakeBinance({ clock: new FakeClock(T0 + 5 * HOUR), market: "coinm", symbols: ["BTCUSD_PERP"] });
  const rows = (await (await fetch(`${exchange.url}/dapi/v1/klines?symbol=BTCUSD_PERP&interval=1h&startTime=${T0}&limit=3`)).json()) as unknown[][];
  expect(rows.map((r) => r[0])).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR]);
  expect(rows[1]![4]).toBe(exchange.truth("BTCUSD_PERP", "1h", T0 + HOUR)!.close);
});
