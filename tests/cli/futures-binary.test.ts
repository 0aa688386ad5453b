import { afterEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import type { Market } from "../../src/exchange/market.ts";
import { candleOpenAt } from "../../src/time/intervals.ts";
import { BINARY, ensureBinary, runBinary } from "../helpers/binary.ts";
import { checkCsvAgainstTruth } from "../helpers/csv-truth.ts";

let dir: string;
let exchange: Exchange | undefined;
afterEach(async () => {
  await exchange?.stop();
  exchange = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const M = 60_000;

/** The binary on `market` for a few seconds: a fresh CSV with --since is backfilled at once over the market's REST path. */
async function recordBriefly(market: Market, symbols: string[]): Promise<{ since: number; lastClosed: number; code: number }> {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), `futures-${market}-`));
  exchange = await startExchange({ market, symbols, seed: 31, log: () => {} });
  const lastClosed = candleOpenAt("1m", Date.now()) - M;
  const since = lastClosed - 9 * M;
  const proc = Bun.spawn(
    [BINARY, "run", "--market", market, "--symbol", symbols.join(",").toLowerCase(), "--interval", "1m", "--since", String(since),
      "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", dir, "--state", join(dir, "state.json"), "--no-dashboard"],
    { stdout: "ignore", stderr: "pipe" },
  );
  const file = join(dir, market === "spot" ? `candles_${symbols[0]}_1m.csv` : `candles_${market}_${symbols[0]}_1m.csv`);
  for (let i = 0; i < 100 && !(existsSync(file) && Bun.file(file).size > 500); i++) await Bun.sleep(50);
  await Bun.sleep(500);
  proc.kill("SIGTERM");
  return { since, lastClosed, code: await proc.exited };
}

test("usdm: an exchange serving only /fapi/v1 and /market streams; the history comes over /fapi/v1/klines into candles_usdm_<SYMBOL>_1m.csv", async () => {
  const { since, lastClosed, code } = await recordBriefly("usdm", ["BTCUSDT", "SOLUSDT"]);
  expect(exchange!.wsUrl).toEndWith("/market");
  expect(code).toBe(0);
  expect(readdirSync(dir).filter((f) => f.endsWith(".csv")).sort()).toEqual(["candles_usdm_BTCUSDT_1m.csv", "candles_usdm_SOLUSDT_1m.csv"]);
  for (const symbol of ["BTCUSDT", "SOLUSDT"]) {
    const { times, problems } = checkCsvAgainstTruth(join(dir, `candles_usdm_${symbol}_1m.csv`), exchange!, symbol, "1m", { expectFirst: since, expectLast: { atLeast: lastClosed, atMost: lastClosed + M } });
    expect(problems).toEqual([]);
    expect(times.length).toBeGreaterThanOrEqual(10);
  }
  expect(exchange!.stats().limits).toMatchObject({ rest429: 0, rest418: 0, messages1008: 0 });
}, 30_000);

test("coinm: BTCUSD_PERP over /dapi/v1 into candles_coinm_BTCUSD_PERP_1m.csv, exactly the exchange's candles", async () => {
  const { since, lastClosed, code } = await recordBriefly("coinm", ["BTCUSD_PERP"]);
  expect(code).toBe(0);
  const { problems } = checkCsvAgainstTruth(join(dir, "candles_coinm_BTCUSD_PERP_1m.csv"), exchange!, "BTCUSD_PERP", "1m", { expectFirst: since, expectLast: { atLeast: lastClosed, atMost: lastClosed + M } });
  expect(problems).toEqual([]);
}, 30_000);

test("no 1s on futures, and an unknown market: one line, exit 2", async () => {
  dir = mkdtempSync(join(tmpdir(), "futures-bad-"));
  for (const [args, message] of [
    [["--market", "usdm", "--interval", "1s"], /^resilience: --interval: 1s is not served on usdm \(futures have no 1s candles\)/],
    [["--market", "coinm", "--interval", "1m,1s"], /1s is not served on coinm/],
    [["--market", "margin"], /--market: "margin" is not a market; use one of spot, usdm, coinm/],
  ] as const) {
    const { code, stderr } = await runBinary(["run", ...args, "--ws-url", "ws://127.0.0.1:1", "--rest-url", "http://127.0.0.1:1", "--out", dir, "--no-dashboard"]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(message);
  }
});
