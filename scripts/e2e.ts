/**
 * End-to-end run of the compiled binary: `dist/resilience simulate` with a fault schedule
 * touching every fault kind, `dist/resilience run` recording three symbols of 1s candles
 * with a proactive restart every 10 s, one SIGKILL of the recorder and a restart in the
 * middle, then SIGTERM. Every CSV is checked row by row against the simulator's truth,
 * and `resilience gaps --json` must find nothing. Prints one line of figures.
 *
 *   bun scripts/e2e.ts [--seconds 60] [--keep DIR]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { simulatedKline } from "../src/sim/candles.ts";
import { readFirstLine } from "./lib/process-io.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "60" }, keep: { type: "string" } } });
const seconds = Number(values.seconds);
const BIN = resolve(import.meta.dir, "../dist/resilience");
const SYMBOLS = ["BTCUSDT", "ETHUSDT", "PEPEUSDT"];
const SEED = 42;
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);

/** Every fault kind, spread over 50 s and repeated for longer runs; the last 10 s stay quiet so the final check sees a recovered recorder. */
const FAULT_CYCLE: [string, number][] = [
  ["drop", 4], ["stall:6s", 9], ["refuse:4s", 18], ["close:1008", 24], ["skipclose", 29], ["dupclose", 32],
  ["garbage", 35], ["rest429:3", 38], ["rest5xx:3", 41], ["shutdown", 45], ["close:1000", 49],
];
const FAULTS = Array.from({ length: Math.ceil(seconds / 52) }, (_, k) => FAULT_CYCLE.map(([kind, at]) => [kind, at + 52 * k] as const))
  .flat()
  .filter(([, at]) => at < seconds - 10)
  .map(([kind, at]) => `${kind}@${at}s`)
  .join(",");

const dir = values.keep ?? mkdtempSync(join(tmpdir(), "resilience-e2e-"));
mkdirSync(dir, { recursive: true });
const problems: string[] = [];

const sim = Bun.spawn([BIN, "simulate", "--port", "0", "--symbol", SYMBOLS.join(","), "--seed", String(SEED), "--faults", FAULTS], { stdout: "pipe", stderr: "pipe" });
const firstLine = await readFirstLine(sim.stdout);
const base = /listening on (http:\/\/\S+)/.exec(firstLine)?.[1];
if (!base) throw new Error(`simulate did not say where it listens: ${firstLine}`);
const runArgs = [
  "run", "--symbol", SYMBOLS.join(",").toLowerCase(), "--interval", "1s", "--restart-every", "10s", "--stale-after", "3s",
  "--ws-url", base.replace("http", "ws"), "--rest-url", base, "--out", join(dir, "csv"), "--state", join(dir, "state.json"), "--no-dashboard",
];
const started = Date.now();
let recorder = Bun.spawn([BIN, ...runArgs], { stdout: Bun.file(join(dir, "run-1.log")), stderr: "inherit" });

// A crash in the middle: SIGKILL, then start again on the same files (stale lock, torn tail, backfill).
await Bun.sleep(seconds * 500);
recorder.kill("SIGKILL");
await recorder.exited;
await Bun.sleep(1500);
recorder = Bun.spawn([BIN, ...runArgs], { stdout: Bun.file(join(dir, "run-2.log")), stderr: "inherit" });
await Bun.sleep(Math.max(0, started + seconds * 1000 - Date.now()));
const stopAt = Date.now();
recorder.kill("SIGTERM");
const code = await recorder.exited;
if (code !== 0) problems.push(`recorder exited ${code} on SIGTERM`);
sim.kill("SIGTERM");
await sim.exited;

const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
if (state.status !== "stopped") problems.push(`state status is ${state.status}, not stopped`);

let rows = 0;
let lost = 0;
let duplicated = 0;
let wrong = 0;
for (const symbol of SYMBOLS) {
  const path = join(dir, "csv", `candles_${symbol}_1s.csv`);
  const lines = readFileSync(path, "utf8").split("\n");
  if (lines[0] !== "timestamp,open,high,low,close,volume") problems.push(`${path}: header ${lines[0]}`);
  let prev: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    rows++;
    const [stamp, ...rest] = line.split(",");
    const t = Date.parse(stamp!);
    if (prev !== undefined) {
      if (t <= prev) duplicated++;
      else lost += (t - prev) / 1000 - 1;
    }
    prev = Math.max(prev ?? t, t);
    const k = simulatedKline(SEED, symbol, "1s", t);
    if (rest.join(",") !== `${k.open},${k.high},${k.low},${k.close},${k.volume}`) wrong++;
  }
  if (prev === undefined || prev < stopAt - 3000) problems.push(`${symbol}: last candle ${prev && new Date(prev).toISOString()} is older than the stop minus 3 s`);
}
if (lost || duplicated || wrong) problems.push(`${lost} lost, ${duplicated} duplicated, ${wrong} wrong rows`);

const gaps = Bun.spawnSync([BIN, "gaps", "--json", ...SYMBOLS.map((s) => join(dir, "csv", `candles_${s}_1s.csv`))]);
if (gaps.exitCode !== 0) problems.push(`resilience gaps exited ${gaps.exitCode}: ${gaps.stdout.toString().slice(0, 400)}${gaps.stderr.toString().slice(0, 200)}`);

const logs = ["run-1.log", "run-2.log"].map((f) => readFileSync(join(dir, f), "utf8")).join("");
const count = (re: RegExp) => (logs.match(re) ?? []).length;
console.log(
  `e2e: ${seconds}s, ${rows} rows, ${lost} lost, ${duplicated} duplicated, ${wrong} wrong; ` +
    `proactive restarts ${count(/proactive restart at/g)}, disconnects ${count(/disconnected:/g)}, stale ${count(/stream dead/g)}, ` +
    `backfills ${count(/backfill repaired/g)}, state reconnects ${state.reconnects}`,
);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
if (problems.length > 0) {
  for (const p of problems) console.error(`e2e problem: ${p}`);
  process.exit(1);
}
