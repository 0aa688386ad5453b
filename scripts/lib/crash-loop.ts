import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { startExchange } from "../../src/sim/exchange.ts";
import { candleOpenAt } from "../../src/time/intervals.ts";
import { waitFor } from "./process-io.ts";
import { createRandom } from "./random.ts";
import { BINARY, spawnRecorder, stopProcess } from "./recorder.ts";
import { checkCsv, newestRowTime, totalVerdicts } from "./truth-check.ts";

export interface CrashLoopOptions {
  /** SIGKILLs in a row. */
  kills: number;
  dir: string;
  /** @default 1 */
  seed?: number;
  /**
   * History the first start backfills (`--since`): at a few thousand fdatasync'd rows a
   * second, the first rounds are killed in the middle of it. @default 180
   */
  sinceMinutes?: number;
  log?: (line: string) => void;
}

export interface CrashLoopResult {
  kills: number;
  /** Where each kill landed: before the CSVs were open, while catching up, or live. */
  moments: { startup: number; backfilling: number; live: number };
  /** Torn last rows appended after a kill (what a power cut mid-write leaves), and how many the recorder cut. */
  tornInjected: number;
  tornRepaired: number;
  staleLocksTakenOver: number;
  rows: number;
  lost: number;
  duplicated: number;
  wrong: number;
  problems: string[];
}

const SYMBOLS = ["BTCUSDT", "PEPEUSDT"];
/** A CSV whose newest row is older than this is still being backfilled. */
const CATCHING_UP_MS = 2500;

/**
 * Crash consistency: `dist/resilience run` (1s candles, a `--since` history to backfill)
 * is SIGKILLed at random moments `kills` times in a row and restarted each time after a
 * random pause; one round in four also leaves a torn last row behind, as a power cut in
 * the middle of a write would (SIGKILL alone cannot tear a single write(2)). A last run
 * catches up and stops; every CSV must then be complete and clean from `--since` on.
 */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopResult> {
  const random = createRandom(options.seed ?? 1);
  const log = options.log ?? (() => {});
  const exchange = await startExchange({ symbols: SYMBOLS, seed: options.seed ?? 1, log: () => {} });
  const csvDir = join(options.dir, "csv");
  mkdirSync(options.dir, { recursive: true });
  const since = candleOpenAt("1s", Date.now()) - (options.sinceMinutes ?? 180) * 60_000;
  const spawn = (round: number) =>
    spawnRecorder({
      symbols: SYMBOLS, interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, out: csvDir, state: join(options.dir, "state.json"),
      logPath: join(options.dir, `run-${String(round).padStart(3, "0")}.log`), extra: ["--since", String(since)],
    });
  const result: CrashLoopResult = { kills: 0, moments: { startup: 0, backfilling: 0, live: 0 }, tornInjected: 0, tornRepaired: 0, staleLocksTakenOver: 0, rows: 0, lost: 0, duplicated: 0, wrong: 0, problems: [] };
  try {
    for (let round = 1; round <= options.kills; round++) {
      const proc = spawn(round);
      await Bun.sleep(random.int(20, 2500));
      if (proc.exitCode !== null) {
        result.problems.push(`round ${round}: the recorder exited by itself with ${proc.exitCode}`);
        continue;
      }
      result.moments[_moment(options.dir, round, csvDir)]++;
      proc.kill("SIGKILL");
      await proc.exited;
      result.kills++;
      if (round % 4 === 0) {
        const path = join(csvDir, `candles_${random.pick(SYMBOLS)}_1s.csv`);
        if (existsSync(path)) {
          appendFileSync(path, `${new Date().toISOString().slice(0, 19)}Z,12.3`);
          result.tornInjected++;
        }
      }
      if (round % 10 === 0) log(`crash loop: ${round} kills`);
      await Bun.sleep(random.int(0, 2000));
    }
    // The last run: catch up, then stop cleanly.
    const last = spawn(options.kills + 1);
    await waitFor(() => SYMBOLS.every((s) => _lagMs(join(csvDir, `candles_${s}_1s.csv`)) < CATCHING_UP_MS), "the last run to catch up", 120_000, 100);
    await Bun.sleep(1500);
    const stopAt = Date.now();
    const code = await stopProcess(last);
    if (code !== 0) result.problems.push(`the last run exited ${code} on SIGTERM`);
    const total = totalVerdicts(SYMBOLS.map((s) => checkCsv(join(csvDir, `candles_${s}_1s.csv`), exchange, s, "1s", { from: since, until: candleOpenAt("1s", stopAt - 2000) })));
    Object.assign(result, { rows: total.rows, lost: total.lost, duplicated: total.duplicated, wrong: total.wrong });
    result.problems.push(...total.problems);
  } finally {
    await exchange.stop();
  }
  const logs = readdirSync(options.dir).filter((f) => f.startsWith("run-")).map((f) => readFileSync(join(options.dir, f), "utf8")).join("");
  result.tornRepaired = (logs.match(/cut a torn last line/g) ?? []).length;
  result.staleLocksTakenOver = (logs.match(/took over the lock of pid/g) ?? []).length;
  if (result.tornRepaired !== result.tornInjected) result.problems.push(`${result.tornInjected} torn rows left, ${result.tornRepaired} cut`);
  const locks = readdirSync(csvDir).filter((f) => f.endsWith(".lock"));
  if (locks.length > 0) result.problems.push(`lock files left after a clean stop: ${locks.join(", ")}`);
  const gaps = Bun.spawnSync([BINARY, "gaps", "--json", ...SYMBOLS.map((s) => join(csvDir, `candles_${s}_1s.csv`))], { stdout: "pipe", stderr: "pipe" });
  if (gaps.exitCode !== 0) result.problems.push(`resilience gaps exited ${gaps.exitCode}: ${gaps.stdout.toString().slice(0, 300)}`);
  return result;
}

/** One line of figures. */
export function formatCrashLoop(r: CrashLoopResult): string {
  return (
    `crash loop: ${r.kills} SIGKILLs (${r.moments.startup} during start-up, ${r.moments.backfilling} mid-backfill, ${r.moments.live} live), ` +
    `${r.tornInjected} torn rows injected and ${r.tornRepaired} cut, ${r.staleLocksTakenOver} stale locks taken over; ` +
    `${r.rows} rows, ${r.lost} lost, ${r.duplicated} duplicated, ${r.wrong} wrong`
  );
}

// --- internal ---

/** Where a kill lands: the run has not opened its CSVs yet, is catching up, or is live. */
function _moment(dir: string, round: number, csvDir: string): "startup" | "backfilling" | "live" {
  const logPath = join(dir, `run-${String(round).padStart(3, "0")}.log`);
  if (!existsSync(logPath) || !readFileSync(logPath, "utf8").includes("recording ")) return "startup";
  return SYMBOLS.some((s) => _lagMs(join(csvDir, `candles_${s}_1s.csv`)) >= CATCHING_UP_MS) ? "backfilling" : "live";
}

/** How far the newest row of a 1s CSV is behind now; Infinity without rows. */
function _lagMs(path: string): number {
  const last = newestRowTime(path);
  return last === undefined ? Infinity : Date.now() - (last + 1000);
}
