/**
 * The #13 rehearsal on the compiled binary: `dist/resilience run --market usdm --symbol
 * BTCUSDT,SOLUSDT --interval 1m` against a simulated exchange that serves only the futures
 * paths (`/fapi/v1`, `/market/stream`; no `/api/v3`). One minute's closing events are
 * never sent: the recorder must repair that candle through `/fapi/v1/klines`. Afterwards
 * both CSVs must match the exchange row by row, `gaps` must find nothing, and
 * `--interval 1s` on futures must exit 2. Takes two to three minutes (1m candles).
 *
 *   bun scripts/e2e-futures.ts [--keep DIR]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startExchange } from "../src/sim/exchange.ts";
import { candleOpenAt } from "../src/time/intervals.ts";
import { checkCsv } from "./lib/truth-check.ts";

const { values } = parseArgs({ options: { keep: { type: "string" } } });
const BIN = resolve(import.meta.dir, "../dist/resilience");
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
const SYMBOLS = ["BTCUSDT", "SOLUSDT"];
const M = 60_000;
const dir = values.keep ?? mkdtempSync(join(tmpdir(), "resilience-e2e-futures-"));
mkdirSync(dir, { recursive: true });
const problems: string[] = [];
const say = (line: string) => console.error(`e2e-futures: ${line}`);

const exchange = await startExchange({ market: "usdm", symbols: SYMBOLS, seed: 13, log: () => {} });
try {
  // Futures refuse 1s before anything is opened.
  const oneSecond = Bun.spawnSync([BIN, "run", "--market", "usdm", "--interval", "1s", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", dir, "--no-dashboard"], { stderr: "pipe" });
  if (oneSecond.exitCode !== 2) problems.push(`--market usdm --interval 1s exited ${oneSecond.exitCode}, not 2`);
  if (!/1s is not served on usdm/.test(oneSecond.stderr.toString())) problems.push(`--interval 1s on usdm said: ${oneSecond.stderr.toString().trim()}`);

  const startedAt = Date.now();
  const recorder = Bun.spawn(
    [BIN, "run", "--market", "usdm", "--symbol", SYMBOLS.join(","), "--interval", "1m", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url,
      "--out", join(dir, "csv"), "--state", join(dir, "state.json"), "--no-dashboard"],
    { stdout: Bun.file(join(dir, "run.log")), stderr: "inherit", env: { ...process.env, RESILIENCE_LOG_LEVEL: "3" } },
  );
  const first = candleOpenAt("1m", startedAt) + M; // the first boundary: the first row closes here
  const skipped = first + M; // the boundary whose closing events are not sent
  say(`recording; first close at ${new Date(first).toISOString()}, the close at ${new Date(skipped).toISOString()} will be skipped`);
  await Bun.sleep(first + 2000 - Date.now());
  exchange.skipClose();
  await Bun.sleep(skipped + 10_000 - Date.now());
  const stopAt = Date.now();
  recorder.kill("SIGTERM");
  const code = await recorder.exited;
  if (code !== 0) problems.push(`recorder exited ${code} on SIGTERM`);

  const repairedAt = skipped - M; // the candle that closed at the skipped boundary
  let rows = 0;
  for (const symbol of SYMBOLS) {
    const path = join(dir, "csv", `candles_usdm_${symbol}_1m.csv`);
    const verdict = checkCsv(path, exchange, symbol, "1m", { first: { atLeast: first - 2 * M, atMost: first - M }, last: repairedAt });
    rows += verdict.times.length;
    problems.push(...verdict.problems.map((p) => `${symbol}: ${p}`));
    if (!verdict.times.includes(repairedAt)) problems.push(`${symbol}: the candle ${new Date(repairedAt).toISOString()} whose close never came is missing`);
  }
  const log = readFileSync(join(dir, "run.log"), "utf8");
  const repaired = (log.match(/backfill repaired/g) ?? []).length;
  if (repaired === 0) problems.push("no 'backfill repaired' in the recorder's log: the skipped close was not repaired over REST");
  const limits = exchange.stats().limits;
  if (limits.rest429 || limits.rest418 || limits.messages1008) problems.push(`the exchange refused requests: ${JSON.stringify(limits)}`);
  const gaps = Bun.spawnSync([BIN, "gaps", "--json", ...SYMBOLS.map((s) => join(dir, "csv", `candles_usdm_${s}_1m.csv`))]);
  if (gaps.exitCode !== 0) problems.push(`resilience gaps exited ${gaps.exitCode}: ${gaps.stdout.toString().slice(0, 300)}`);
  console.log(`e2e-futures: usdm 1m ${SYMBOLS.join(",")}, ${rows} rows exactly as the exchange's, ${repaired} repaired over /fapi/v1/klines, gaps clean ${gaps.exitCode === 0 ? "yes" : "no"}; ${Math.round((Date.now() - startedAt) / 1000)}s (stopped ${Math.round((stopAt - skipped) / 1000)}s after the skipped close)`);
} finally {
  await exchange.stop();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
if (problems.length > 0) {
  for (const p of problems) console.error(`e2e-futures problem: ${p}`);
  process.exit(1);
}
