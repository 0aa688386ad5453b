/**
 * The whole market, end to end: `dist/resilience simulate --symbols N --rest-weight W`
 * (about 70% USDT symbols, other quotes, some in BREAK) with three mass drops (the first
 * with 8 s of refused connections, so the whole market backfills), a listing,
 * a halt and one silent stream; `dist/resilience run --symbol all --quote USDT --interval
 * 1s,1m` records it. Then: every symbol TRADING in USDT at the end has both CSVs complete
 * and exact (checked row by row against the simulator's candles), the listing's CSVs start
 * with its first candle, the halted symbol is retired in the state file, there is no CSV
 * for anything else, and the simulator saw no 414, 1008, 418 or over-limit attempt and at
 * most a few 429s. Prints one line of figures; exits 1 on any problem.
 *
 *   bun scripts/e2e-market.ts [--symbols 450] [--seconds 180] [--rest-weight 1200] [--keep DIR]
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { simulatedKline } from "../src/sim/candles.ts";
import type { Interval } from "../src/time/intervals.ts";
import { readFirstLine } from "./lib/process-io.ts";
import { checkCsv, closedBetween, openedBetween } from "./lib/truth-check.ts";

const { values } = parseArgs({
  options: { symbols: { type: "string", default: "450" }, seconds: { type: "string", default: "180" }, "rest-weight": { type: "string", default: "1200" }, keep: { type: "string" } },
});
const SECONDS = Number(values.seconds);
const BIN = resolve(import.meta.dir, "../dist/resilience");
const SEED = 11;
const INTERVALS: Interval[] = ["1s", "1m"];
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);

// Three mass drops, a listing, a halt and a silent stream; the last 25 s stay quiet for the repairs.
// The silent stream is a 1s one, found within seconds: a drop would cure it (a fresh
// connection delivers it again) before a 1m stream's next close could show it missing. The last drop leaves a minute for
// the repairs: two mass drops of the 1s streams cost more than a minute of a small budget.
// The first drop comes with 8 s of refused connections: every 1s stream misses ~8 candles,
// a backfill of the whole market through a REST budget well under Binance's.
const FAULTS = ["drop@20s", "refuse:8s@20s", "listing@30s", "halt@38s", "silent:ethusdt@kline_1s@45s", `drop@${SECONDS - 105}s`, `drop@${SECONDS - 65}s`].join(",");

const dir = values.keep ?? mkdtempSync(join(tmpdir(), "resilience-market-"));
mkdirSync(dir, { recursive: true });
const csvDir = join(dir, "csv");
const problems: string[] = [];

const simLog = Bun.file(join(dir, "simulate.log"));
const sim = Bun.spawn([BIN, "simulate", "--port", "0", "--symbols", values.symbols!, "--seed", String(SEED), "--rest-weight", values["rest-weight"]!, "--faults", FAULTS], { stdout: "pipe", stderr: simLog });
const firstLine = await readFirstLine(sim.stdout);
const base = /listening on (http:\/\/\S+)/.exec(firstLine)?.[1];
if (!base) throw new Error(`simulate did not say where it listens: ${firstLine}`);
const simOutput = Bun.file(join(dir, "simulate.out")).writer();
void (async () => {
  for await (const chunk of sim.stdout) simOutput.write(chunk);
  await simOutput.end();
})();
const before = await exchangeInfo();

const started = Date.now();
const recorder = Bun.spawn(
  [BIN, "run", "--symbol", "all", "--quote", "USDT", "--interval", INTERVALS.join(","), "--symbols-refresh", "15s", "--stale-after", "5s",
    "--ws-url", base.replace("http", "ws"), "--rest-url", base, "--out", csvDir, "--state", join(dir, "state.json"), "--no-dashboard"],
  { stdout: Bun.file(join(dir, "run.log")), stderr: Bun.file(join(dir, "run.err")) },
);
await Bun.sleep(SECONDS * 1000);
const stopAt = Date.now();
recorder.kill("SIGTERM");
const code = await recorder.exited;
if (code !== 0) problems.push(`recorder exited ${code} on SIGTERM: ${readFileSync(join(dir, "run.err"), "utf8").slice(0, 300)}`);

const after = await exchangeInfo();
const stats = (await (await fetch(`${base}/sim/stats`)).json()) as { limits: Record<string, number>; peakWeightPerMinute: number; connections: number };
const usdtAtStart = new Set(before.filter((s) => s.status === "TRADING" && s.quoteAsset === "USDT").map((s) => s.symbol));
const usdtAtEnd = after.filter((s) => s.status === "TRADING" && s.quoteAsset === "USDT").map((s) => s.symbol);
const listed = usdtAtEnd.filter((s) => !before.some((b) => b.symbol === s));
const firstOfListing = new Map<string, number>();
for (const symbol of listed) for (const interval of INTERVALS) firstOfListing.set(`${symbol}@${interval}`, await firstCandle(symbol, interval));
sim.kill("SIGTERM");
await sim.exited;

const halted = [...usdtAtStart].filter((s) => !usdtAtEnd.includes(s));
if (listed.length !== 1) problems.push(`expected one listing, the simulator shows ${listed.length}`);
if (halted.length !== 1) problems.push(`expected one halted symbol, the simulator shows ${halted.length}`);
if (usdtAtStart.size < 300) problems.push(`only ${usdtAtStart.size} USDT symbols: give more --symbols`);

const truth = { truth: (symbol: string, interval: Interval, t: number) => simulatedKline(SEED, symbol, interval, t) };
let rows = 0;
let checked = 0;
for (const symbol of usdtAtEnd) {
  for (const interval of INTERVALS) {
    const path = join(csvDir, `candles_${symbol}_${interval}.csv`);
    if (!existsSync(path)) {
      problems.push(`${symbol}@${interval}: no CSV`);
      continue;
    }
    const first = firstOfListing.get(`${symbol}@${interval}`) ?? openedBetween(interval, started, started + 8000);
    const verdict = checkCsv(path, truth, symbol, interval, { first, last: closedBetween(interval, stopAt - 2000, stopAt) });
    rows += verdict.times.length;
    checked++;
    for (const p of verdict.problems.slice(0, 3)) problems.push(`${symbol}@${interval}: ${p}`);
  }
}
const allowed = new Set([...usdtAtStart, ...listed]);
for (const file of readdirSync(csvDir).filter((f) => f.endsWith(".csv"))) {
  const symbol = /^candles_([A-Z0-9]+)_/.exec(file)?.[1];
  if (!symbol || !allowed.has(symbol)) problems.push(`a CSV for a symbol that never traded in USDT: ${file}`);
}
const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { status: string; streams: Record<string, { retired?: string }>; rest?: { peak_per_minute: number; rate_limited: number; banned: number } };
for (const symbol of halted) {
  for (const interval of INTERVALS) if (!state.streams[`${symbol}@${interval}`]?.retired) problems.push(`${symbol}@${interval}: halted, but not marked retired in the state file`);
}
if (state.status !== "stopped") problems.push(`state status is ${state.status}, not stopped`);
const { uri414 = 0, tooManyStreams = 0, attempts429 = 0, messages1008 = 0, rest429 = 0, rest418 = 0 } = stats.limits;
if (uri414 + tooManyStreams + attempts429 + messages1008 + rest418 > 0) problems.push(`limits broken: ${JSON.stringify(stats.limits)}`);
if (rest429 > 3) problems.push(`${rest429} REST 429s (at most a few allowed)`);
if (stats.peakWeightPerMinute > 0.8 * Number(values["rest-weight"]) + 20) problems.push(`REST weight peaked at ${stats.peakWeightPerMinute} a minute, over 80% of ${values["rest-weight"]}`);
const log = readFileSync(join(dir, "run.log"), "utf8");
await Bun.sleep(100); // the simulator's last lines
const silenced = /fault silent:(\S+)@kline_(\S+)/.exec(readFileSync(join(dir, "simulate.out"), "utf8"));
if (!silenced) problems.push("the simulator never silenced a stream");
else if (!log.includes(`${silenced[1]!.toUpperCase()}@${silenced[2]}: stream silent`)) problems.push(`the silent stream ${silenced[1]}@kline_${silenced[2]} was never noticed`);

console.log(
  `e2e-market: ${SECONDS}s, ${usdtAtStart.size} USDT symbols (${before.length} listed), ${checked} CSVs, ${rows} rows checked; ` +
    `listing ${listed.join(",") || "-"}, halt ${halted.join(",") || "-"}; connections made ${stats.connections}; ` +
    `REST peak ${stats.peakWeightPerMinute}/min of ${values["rest-weight"]}, 429s ${rest429}, 418s ${rest418}; limits ${JSON.stringify(stats.limits)}`,
);
if (!values.keep && problems.length === 0) rmSync(dir, { recursive: true, force: true });
if (problems.length > 0) {
  for (const p of problems.slice(0, 40)) console.error(`e2e-market problem: ${p}`);
  if (problems.length > 40) console.error(`… and ${problems.length - 40} more (files kept in ${dir})`);
  process.exit(1);
}

// --- internal ---

async function exchangeInfo(): Promise<{ symbol: string; status: string; quoteAsset: string }[]> {
  const res = await fetch(`${base}/api/v3/exchangeInfo`);
  return ((await res.json()) as { symbols: { symbol: string; status: string; quoteAsset: string }[] }).symbols;
}

async function firstCandle(symbol: string, interval: Interval): Promise<number> {
  const res = await fetch(`${base}/api/v3/klines?symbol=${symbol}&interval=${interval}&startTime=0&limit=1`);
  const rows = (await res.json()) as [number][];
  return rows[0]![0];
}
