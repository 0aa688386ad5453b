import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
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
  dir = mkdtempSync(join(tmpdir(), "sup-"));
});
afterEach(async () => {
  supervisor?.stop("test over");
  await exchange?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SYMBOLS = ["BTCUSDT", "ETHUSDT", "PEPEUSDT"];
const sleep = (ms: number) => Bun.sleep(ms);

function start(overrides: Record<string, string>, events: RecorderEvent[] = []) {
  const config = resolveConfig({ csv: { dir } }, undefined, {
    symbol: SYMBOLS.join(","),
    interval: "1s",
    wsUrl: exchange!.wsUrl,
    restUrl: exchange!.url,
    out: dir,
    state: join(dir, "state.json"),
    ...overrides,
  });
  supervisor = createSupervisor({ config, version: "test", onEvent: (e) => events.push(e) });
  supervisor.start();
  return supervisor;
}

async function waitFor(what: string, cond: () => boolean, ms = 8000) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("records every 1s candle of three symbols exactly once through drops, stalls, skipped and doubled closes, garbage, 429s and a server shutdown", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 7, log: () => {} });
  const events: RecorderEvent[] = [];
  const startedAt = Date.now();
  const sup = start({ restartEvery: "2s", staleAfter: "1500ms" }, events);
  await waitFor("connected", () => sup.status === "connected");
  const connectedAt = Date.now();
  await sleep(1200);
  exchange.drop();
  await sleep(1200);
  exchange.stall(2500);
  await sleep(3000);
  exchange.skipClose();
  await sleep(1100);
  exchange.dupClose();
  exchange.garbage();
  await sleep(1100);
  exchange.rest429(2);
  const connects = events.filter((e) => e.type === "connected").length;
  exchange.drop();
  await sleep(1500);
  // The shutdown must reach a live connection: on a loaded machine the reconnect after the drop can take longer.
  await waitFor("the reconnect after the drop", () => events.filter((e) => e.type === "connected").length > connects && sup.status === "connected");
  exchange.shutdown();
  await sleep(2500);
  const stoppedAt = Date.now();
  sup.stop("test over");
  for (const symbol of SYMBOLS) {
    const { times, problems } = checkCsvAgainstTruth(join(dir, `candles_${symbol}_1s.csv`), exchange, symbol, "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: lastClosedBefore("1s", stoppedAt) });
    expect(problems).toEqual([]);
    expect(times.length).toBeGreaterThan(8);
    expect(times[times.length - 1]).toBeGreaterThan(stoppedAt - 4000);
  }
  const types = new Set(events.map((e) => e.type));
  expect(types.has("backfill_repaired")).toBe(true);
  expect(types.has("server_shutdown")).toBe(true);
  expect(types.has("proactive_restart")).toBe(true);
  expect(sup.counters.malformed).toBeGreaterThan(0);
  expect(sup.counters.reconnects).toBeGreaterThanOrEqual(3);
}, 30_000);

test("a silent stream is declared dead after --stale-after, terminated, and its candles repaired", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 3, log: () => {} });
  const events: RecorderEvent[] = [];
  const startedAt = Date.now();
  const sup = start({ restartEvery: "0", staleAfter: "1s", symbol: "BTCUSDT" }, events);
  await waitFor("connected", () => sup.status === "connected");
  const connectedAt = Date.now();
  await sleep(1100);
  exchange.stall(4000);
  await waitFor("stale detection", () => events.some((e) => e.type === "stream_dead"), 4000);
  await waitFor("reconnected", () => sup.counters.reconnects >= 1 && sup.status === "connected");
  await sleep(2200);
  const stoppedAt = Date.now();
  sup.stop("test over");
  const { times, problems } = checkCsvAgainstTruth(join(dir, "candles_BTCUSDT_1s.csv"), exchange, "BTCUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: lastClosedBefore("1s", stoppedAt) });
  expect(problems).toEqual([]);
  expect(times[times.length - 1]).toBeGreaterThan(stoppedAt - 3000);
  expect(events.some((e) => e.type === "backfill_repaired")).toBe(true);
  expect(sup.counters.staleDetections).toBe(1);
  expect(sup.counters.nextRestartAt).toBeUndefined();
}, 20_000);

test("a clean close (1000) is a disconnect like any other: reconnect and backfill", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 4, log: () => {} });
  const events: RecorderEvent[] = [];
  const startedAt = Date.now();
  const sup = start({ restartEvery: "0", symbol: "ETHUSDT" }, events);
  await waitFor("connected", () => sup.status === "connected");
  const connectedAt = Date.now();
  await sleep(1100);
  exchange.close(1000, "maintenance");
  await waitFor("reconnected", () => sup.counters.reconnects >= 1 && sup.status === "connected");
  exchange.refuse(1500);
  exchange.close(1001, "going away");
  await waitFor("disconnected", () => sup.status === "reconnecting");
  await waitFor("reconnected after refusals", () => sup.counters.reconnects >= 2 && sup.status === "connected", 10_000);
  await sleep(1500);
  sup.stop("test over");
  expect(checkCsvAgainstTruth(join(dir, "candles_ETHUSDT_1s.csv"), exchange, "ETHUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: lastClosedBefore("1s", Date.now()) }).problems).toEqual([]);
  const closes = events.filter((e) => e.type === "disconnected").map((e) => (e as { code: number }).code);
  expect(closes).toContain(1000);
  expect(closes).toContain(1001);
}, 20_000);

test("a candle the exchange does not have is an exchange gap, recorded once and skipped", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 5, log: () => {} });
  const events: RecorderEvent[] = [];
  const gapAt = Math.floor(Date.now() / 1000) * 1000 + 3000;
  exchange.exchangeGap("BTCUSDT", "1s", gapAt);
  const startedAt = Date.now();
  const sup = start({ restartEvery: "0", symbol: "BTCUSDT" }, events);
  await waitFor("past the gap", () => Date.now() > gapAt + 3500);
  sup.stop("test over");
  // Not waited for, the connection is known to have opened within a candle of the start.
  const { times, problems } = checkCsvAgainstTruth(join(dir, "candles_BTCUSDT_1s.csv"), exchange, "BTCUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, startedAt + 1000), expectLast: lastClosedBefore("1s", Date.now()) });
  expect(problems).toEqual([]);
  expect(times).not.toContain(gapAt);
  expect(times).toContain(gapAt - 1000);
  expect(times).toContain(gapAt + 1000);
  const gaps = events.filter((e) => e.type === "exchange_gap");
  expect(gaps).toHaveLength(1);
  expect(sup.state().streams["BTCUSDT@1s"]!.exchange_gap_times).toEqual([new Date(gapAt).toISOString()]);
}, 20_000);

test("--since backfills history page by page (1000 per request) before the live candles, in order", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 6, log: () => {} });
  const since = Math.floor(Date.now() / 1000) * 1000 - 45 * 60_000; // 2700 candles of 1s: three pages
  const events: RecorderEvent[] = [];
  const sup = start({ restartEvery: "0", symbol: "PEPEUSDT", since: new Date(since).toISOString() }, events);
  await waitFor("history and live candles", () => (sup.streams[0]?.lastCandle ?? 0) > Date.now() - 2500, 15_000);
  await sleep(1200);
  sup.stop("test over");
  const { times, problems } = checkCsvAgainstTruth(join(dir, "candles_PEPEUSDT_1s.csv"), exchange, "PEPEUSDT", "1s", { expectFirst: since, expectLast: lastClosedBefore("1s", Date.now()) });
  expect(problems).toEqual([]);
  expect(times[0]).toBe(since);
  expect(times.length).toBeGreaterThan(2700);
  const pages = events.filter((e) => e.type === "backfill_repaired").map((e) => (e as { candles: unknown[] }).candles.length);
  expect(pages.slice(0, 2)).toEqual([1000, 1000]);
  expect(sup.counters.restCalls).toBeGreaterThanOrEqual(3);
}, 30_000);

test("on a fresh CSV the exchange's clock decides where recording starts, and an open candle is never written (an exchange a day behind)", async () => {
  const behind = { now: () => Date.now() - 86_400_000, setTimeout: (fn: () => void, ms: number) => { const h = setTimeout(fn, ms); return () => clearTimeout(h); } };
  exchange = await startExchange({ symbols: SYMBOLS, seed: 8, clock: behind, log: () => {} });
  const startedAt = behind.now();
  const sup = start({ restartEvery: "0", symbol: "BTCUSDT" });
  await waitFor("connected", () => sup.status === "connected");
  const connectedAt = behind.now();
  await sleep(1500);
  exchange.drop(); // the backfill after the reconnect must not take the open candle for a closed one
  await waitFor("reconnected", () => sup.counters.reconnects >= 1 && sup.status === "connected");
  await sleep(2500);
  sup.stop("test over");
  // On the exchange's clock: a day behind ours.
  const { times, problems } = checkCsvAgainstTruth(join(dir, "candles_BTCUSDT_1s.csv"), exchange, "BTCUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: lastClosedBefore("1s", behind.now()) });
  expect(problems).toEqual([]);
  expect(times.length).toBeGreaterThanOrEqual(3);
  expect(times[0]).toBeLessThan(Date.now() - 86_000_000);
  expect(times[times.length - 1]).toBeLessThan(behind.now());
}, 20_000);

test("make-before-break: a new connection that cannot open is abandoned and the old one kept, without a disconnect or a lost candle", async () => {
  exchange = await startExchange({ symbols: SYMBOLS, seed: 9, log: () => {} });
  const events: RecorderEvent[] = [];
  const startedAt = Date.now();
  const sup = start({ restartEvery: "4s", symbol: "ETHUSDT" }, events);
  await waitFor("connected", () => sup.status === "connected");
  const connectedAt = Date.now();
  await waitFor("a proactive restart", () => sup.counters.proactiveRestarts >= 1, 12_000);
  const nextAt = sup.counters.nextRestartAt!;
  await waitFor("shortly before the next boundary's margin", () => Date.now() > nextAt - 1500, 8000);
  exchange.refuse(3000);
  await waitFor("the restart abandoned", () => events.some((e) => e.type === "proactive_restart_abandoned" && e.boundary === nextAt), 8000);
  expect(events.filter((e) => e.type === "disconnected")).toEqual([]);
  expect(sup.status).toBe("connected");
  await sleep(1500);
  sup.stop("test over");
  expect(checkCsvAgainstTruth(join(dir, "candles_ETHUSDT_1s.csv"), exchange, "ETHUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: lastClosedBefore("1s", Date.now()) }).problems).toEqual([]);
  expect(exchange.stats().openConnections).toBeLessThanOrEqual(1);
}, 30_000);
