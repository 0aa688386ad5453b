import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { createSupervisor, type Supervisor } from "../../src/supervisor/supervisor.ts";
import type { RecorderEvent } from "../../src/supervisor/events.ts";
import { checkCsvAgainstTruth, lastClosedBefore, openedBetween } from "../helpers/csv-truth.ts";

let dir: string;
let exchange: Exchange | undefined;
let supervisor: Supervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pool-"));
});
afterEach(async () => {
  supervisor?.stop("test over");
  await exchange?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT"];

async function waitFor(what: string, cond: () => boolean, ms = 10_000) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Every symbol's 1s CSV holds exactly the exchange's candles from the start to the stop. */
function expectEveryCsvComplete(startedAt: number, connectedAt: number, stoppedAt: number) {
  for (const symbol of SYMBOLS) {
    const verdict = checkCsvAgainstTruth(join(dir, `candles_${symbol}_1s.csv`), exchange!, symbol, "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt + 1000), expectLast: lastClosedBefore("1s", stoppedAt) });
    expect(verdict.problems).toEqual([]);
  }
}

function start(events: RecorderEvent[], overrides: Record<string, string> = {}) {
  const config = resolveConfig({}, undefined, {
    symbol: SYMBOLS.join(","),
    interval: "1s",
    wsUrl: exchange!.wsUrl,
    restUrl: exchange!.url,
    out: dir,
    state: join(dir, "state.json"),
    streamsPerConnection: "2",
    restartEvery: "0",
    ...overrides,
  });
  supervisor = createSupervisor({ config, version: "test", onEvent: (e) => events.push(e) });
  supervisor.start();
  return supervisor;
}

test("six streams at two per connection: three connections, a mass drop of all of them, every candle exactly once", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 5, log: () => {} });
  const events: RecorderEvent[] = [];
  const startedAt = Date.now();
  const sup = start(events);
  await waitFor("three connections", () => sup.status === "connected");
  const connectedAt = Date.now();
  expect(exchange.stats().openConnections).toBe(3);
  expect(sup.pool()).toMatchObject({ open: 3, total: 3 });
  await Bun.sleep(1500);
  exchange.drop();
  await waitFor("the pool back", () => events.filter((e) => e.type === "connected").length >= 6 && sup.status === "connected");
  // The events of one connection name it.
  expect(new Set(events.filter((e) => e.type === "connected").map((e) => (e as { connection?: number }).connection))).toEqual(new Set([1, 2, 3]));
  await Bun.sleep(2500);
  sup.stop("test over");
  const stoppedAt = Date.now();
  expectEveryCsvComplete(startedAt, connectedAt, stoppedAt);
  expect(exchange.stats().limits).toMatchObject({ uri414: 0, tooManyStreams: 0, attempts429: 0, messages1008: 0, rest429: 0, rest418: 0 });
}, 30_000);

test("a retired symbol leaves its connection and its CSV closed, the state file says retired; a listing is recorded from its first candle", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 6, log: () => {} });
  const events: RecorderEvent[] = [];
  const sup = start(events);
  await waitFor("connected", () => sup.status === "connected");
  await Bun.sleep(1200);
  exchange.halt("ETHUSDT");
  sup.retireSymbol("ETHUSDT", "HALT");
  const state = sup.state();
  expect(state.streams["ETHUSDT@1s"]!.retired).toBeDefined();
  expect(events.some((e) => e.type === "symbol_retired" && e.symbol === "ETHUSDT")).toBe(true);
  expect(sup.symbols).not.toContain("ETHUSDT");

  const listedAt = Date.now();
  const listed = exchange.listing("NEWUSDT")!;
  expect(listed).toBe("NEWUSDT");
  await Bun.sleep(2500); // the refresh notices the listing late: the first candles come over REST
  sup.addSymbol("NEWUSDT", listedAt - 60_000);
  await waitFor("the listing's streams", () => exchange!.stats().streamsServed === 6 && sup.status === "connected");
  await Bun.sleep(2500);
  sup.stop("test over");
  const stoppedAt = Date.now();
  const newCsv = join(dir, "candles_NEWUSDT_1s.csv");
  const verdict = checkCsvAgainstTruth(newCsv, exchange, "NEWUSDT", "1s", { expectFirst: openedBetween("1s", listedAt - 1000, listedAt), expectLast: lastClosedBefore("1s", stoppedAt) });
  expect(verdict.problems).toEqual([]);
  expect(events.some((e) => e.type === "symbol_listed" && e.symbol === "NEWUSDT")).toBe(true);
  // Nothing was written for ETHUSDT after its retirement.
  const ethRows = readFileSync(join(dir, "candles_ETHUSDT_1s.csv"), "utf8").trim().split("\n").length;
  expect(ethRows).toBeGreaterThan(1);
  expect(existsSync(join(dir, "candles_ETHUSDT_1s.csv.lock"))).toBe(false);
}, 30_000);

test("a stream that goes silent while its connection delivers the other is noticed, repaired over REST and moved to a fresh connection", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 7, log: () => {} });
  const events: RecorderEvent[] = [];
  const startedAt = Date.now();
  const sup = start(events);
  await waitFor("connected", () => sup.status === "connected");
  const connectedAt = Date.now();
  await Bun.sleep(1200);
  expect(exchange.silent("solusdt@kline_1s")).toBe("solusdt@kline_1s");
  await waitFor("the silent stream noticed", () => events.some((e) => e.type === "stream_silent" && e.symbol === "SOLUSDT"), 10_000);
  await waitFor("its connection restarted", () => events.some((e) => e.type === "proactive_restart"), 10_000);
  await Bun.sleep(2500);
  sup.stop("test over");
  const stoppedAt = Date.now();
  expectEveryCsvComplete(startedAt, connectedAt, stoppedAt);
  // Only the connection carrying it was moved.
  expect(events.filter((e) => e.type === "proactive_restart").length).toBe(1);
}, 30_000);
