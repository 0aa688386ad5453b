import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import type { Fault } from "../../src/sim/faults.ts";
import { candleOpenAt } from "../../src/time/intervals.ts";
import { sampleRss } from "./proc-stats.ts";
import { waitFor } from "./process-io.ts";
import { createRandom, type Random } from "./random.ts";
import { spawnRecorder, stopProcess } from "./recorder.ts";
import { checkCsv, totalVerdicts } from "./truth-check.ts";

export interface SoakOptions {
  durationMs: number;
  /** Work directory (CSVs, state, log). */
  dir: string;
  /** @default 1 */
  seed?: number;
  /** @default BTCUSDT, ETHUSDT, PEPEUSDT */
  symbols?: string[];
  /** A fault every this many ms, drawn uniformly. @default [2000, 6000] */
  faultEveryMs?: [number, number];
  /** Progress lines. @default none */
  log?: (line: string) => void;
  /**
   * Count it a problem when no proactive restart happens in the quiet tail (the restarts
   * stopped). @default true
   */
  requireTailRestarts?: boolean;
}

export interface SoakResult {
  seconds: number;
  proactiveRestarts: number;
  /** Proactive restarts after the faults stopped (a few expected). */
  tailRestarts: number;
  reconnects: number;
  faults: Record<string, number>;
  rows: number;
  lost: number;
  duplicated: number;
  wrong: number;
  maxRssKb: number;
  /** Anything else that went wrong (exit code, state, torn rows). Empty when clean. */
  problems: string[];
}

/** The last faults stop this long before the end, so what they broke is repaired by then. */
const QUIET_TAIL_MS = 10_000;
/** Proactive restarts are counted from this long after the last fault (a stall takes 6 s to end). */
const TAIL_RESTARTS_AFTER_MS = 4000;
/** Candles that closed this long before the stop must be on disk. */
const STOP_GRACE_MS = 2000;

/**
 * The soak: `dist/resilience run` records 1s candles with a proactive restart every 2 s
 * against the simulated exchange, which injects a random fault of every kind (stream
 * drops, close codes, stalls, refused connections, skipped and duplicated closes, garbage,
 * serverShutdown, REST 429 and 5xx, exchange gaps) every few seconds. At the end every CSV
 * is checked row by row against the exchange's truth.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const symbols = options.symbols ?? ["BTCUSDT", "ETHUSDT", "PEPEUSDT"];
  const random = createRandom(options.seed ?? 1);
  const log = options.log ?? (() => {});
  const exchange = await startExchange({ symbols, seed: options.seed ?? 1, log: () => {} });
  const faults: Record<string, number> = {};
  const problems: string[] = [];
  mkdirSync(options.dir, { recursive: true });
  const startedAt = Date.now();
  const faultsUntil = startedAt + options.durationMs - QUIET_TAIL_MS;
  const recorder = spawnRecorder({
    symbols, interval: "1s", restartEvery: "2s", staleAfter: "3s", wsUrl: exchange.wsUrl, restUrl: exchange.url,
    out: join(options.dir, "csv"), state: join(options.dir, "state.json"), logPath: join(options.dir, "run.log"),
  });
  const rss = sampleRss(recorder.pid, 1000);
  let stopAt = Date.now();
  try {
    await waitFor(() => exchange.stats().openConnections > 0, "the recorder to connect", 20_000);
    // Every kind once, in a shuffled order, then at random.
    const queue = random.shuffle(FAULT_KINDS);
    let lastReport = Date.now();
    const [min, max] = options.faultEveryMs ?? [2000, 6000];
    while (Date.now() < faultsUntil && recorder.exitCode === null) {
      await Bun.sleep(Math.min(random.int(min, max), Math.max(0, faultsUntil - Date.now())));
      if (Date.now() >= faultsUntil) break;
      const kind = queue.shift() ?? random.pick(FAULT_KINDS);
      _inject(exchange, kind, random, symbols);
      faults[kind] = (faults[kind] ?? 0) + 1;
      if (Date.now() - lastReport >= 60_000) {
        lastReport = Date.now();
        log(`soak: ${Math.round((Date.now() - startedAt) / 1000)} s, ${Object.values(faults).reduce((a, b) => a + b, 0)} faults`);
      }
    }
    await Bun.sleep(Math.max(0, startedAt + options.durationMs - Date.now()));
    if (recorder.exitCode !== null) problems.push(`the recorder exited by itself with ${recorder.exitCode}`);
  } finally {
    stopAt = Date.now();
    const code = await stopProcess(recorder);
    if (code !== 0) problems.push(`the recorder exited ${code} on SIGTERM`);
    await exchange.stop();
  }
  const maxRssKb = Math.max(...rss.stop());
  // Candles from 2 s after the start (start-up) to 2 s before the stop must all be there.
  const range = { from: candleOpenAt("1s", startedAt) + 2000, until: candleOpenAt("1s", stopAt - STOP_GRACE_MS) };
  const total = totalVerdicts(symbols.map((s) => checkCsv(join(options.dir, "csv", `candles_${s}_1s.csv`), exchange, s, "1s", range)));
  problems.push(...total.problems);
  const state = _readState(join(options.dir, "state.json"), problems);
  if (state && state.status !== "stopped") problems.push(`state status is ${state.status}, not stopped`);
  const restartTimes = [...readFileSync(join(options.dir, "run.log"), "utf8").matchAll(/^(\S+) .*proactive restart at /gm)].map((m) => Date.parse(m[1]!));
  const tailRestarts = restartTimes.filter((t) => t >= faultsUntil + TAIL_RESTARTS_AFTER_MS).length;
  if (tailRestarts === 0 && options.requireTailRestarts !== false) problems.push(`no proactive restart in the last ${(QUIET_TAIL_MS - TAIL_RESTARTS_AFTER_MS) / 1000} s, when no fault came any more: the restarts stopped`);
  return {
    seconds: Math.round((stopAt - startedAt) / 1000),
    proactiveRestarts: state?.proactive_restarts ?? 0,
    tailRestarts,
    reconnects: state?.reconnects ?? 0,
    faults,
    ...total,
    maxRssKb,
    problems,
  };
}

/** One line of figures. */
export function formatSoak(r: SoakResult): string {
  const faults = Object.entries(r.faults).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(", ");
  return (
    `soak: ${r.seconds} s, ${r.proactiveRestarts} proactive restarts (${r.tailRestarts} after the faults stopped), ${r.reconnects} reconnects, faults: ${faults || "none"}; ` +
    `${r.rows} rows, ${r.lost} lost, ${r.duplicated} duplicated, ${r.wrong} wrong; max RSS ${(r.maxRssKb / 1024).toFixed(1)} MiB`
  );
}

// --- internal ---

/** Every fault kind of the simulator, plus an exchange gap (a candle the exchange never has). */
const FAULT_KINDS = ["drop", "close", "stall", "refuse", "skipclose", "dupclose", "garbage", "shutdown", "rest429", "rest5xx", "gap"] as const;

function _inject(exchange: Exchange, kind: (typeof FAULT_KINDS)[number], random: Random, symbols: string[]): void {
  if (kind === "gap") {
    // A candle a few seconds ahead: nobody has recorded it yet, so the truth may lose it.
    exchange.exchangeGap(random.pick(symbols), "1s", candleOpenAt("1s", Date.now()) + random.int(2, 4) * 1000);
    return;
  }
  const fault: Fault =
    kind === "close" ? { kind, code: random.pick([1000, 1001, 1008, 1011, 4000]) }
    : kind === "stall" ? { kind, ms: random.int(1000, 6000) }
    : kind === "refuse" ? { kind, ms: random.int(1000, 4000) }
    : kind === "rest429" || kind === "rest5xx" ? { kind, count: random.int(1, 3) }
    : { kind };
  exchange.inject(fault);
}

function _readState(path: string, problems: string[]): { status: string; proactive_restarts: number; reconnects: number } | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    problems.push(`cannot read the state file ${path}: ${(err as Error).message}`);
    return undefined;
  }
}
