import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import type { Fault } from "../../src/sim/faults.ts";
import { candleOpenAt } from "../../src/time/intervals.ts";
import { diskTroubleMissing } from "./disk-trouble.ts";
import { sampleRss } from "./proc-stats.ts";
import { waitFor } from "./process-io.ts";
import { createRandom, type Random } from "./random.ts";
import { spawnRecorder, stopProcess } from "./recorder.ts";
import { checkCsv, closedBetween, newestRowTime, openedBetween, totalVerdicts } from "./truth-check.ts";

export interface SoakOptions {
  /** How long faults come; then the recorder gets up to SETTLE_LIMIT_MS to settle. */
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
}

export interface SoakResult {
  seconds: number;
  proactiveRestarts: number;
  /** Proactive restarts after the faults stopped, before the stop. */
  tailRestarts: number;
  /** From the last fault to the recorder caught up and restarting again, s (undefined: it never settled). */
  settleSeconds: number | undefined;
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

/**
 * After the faults, the recorder must catch up (every CSV at the last closed candle) and
 * make TAIL_RESTARTS proactive restarts within this long. Its reconnect backoff alone may
 * wait websocket.reconnect.max_delay (30 s) after a run of failures.
 */
const SETTLE_LIMIT_MS = 60_000;
const TAIL_RESTARTS = 2;
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
  const faultsUntil = startedAt + options.durationMs;
  const logPath = join(options.dir, "run.log");
  const csvPath = (symbol: string) => join(options.dir, "csv", `candles_${symbol}_1s.csv`);
  const recorder = spawnRecorder({
    symbols, interval: "1s", restartEvery: "2s", staleAfter: "3s", wsUrl: exchange.wsUrl, restUrl: exchange.url,
    out: join(options.dir, "csv"), state: join(options.dir, "state.json"), logPath,
  });
  const rss = sampleRss(recorder.pid, 1000);
  let connectedAt = Date.now();
  let stopAt = Date.now();
  let exitedAt = Date.now();
  let settleSeconds: number | undefined;
  const tailRestarts = () => _restartTimes(logPath).filter((t) => t > faultsUntil).length;
  try {
    await waitFor(() => exchange.stats().openConnections > 0, "the recorder to connect", 20_000);
    connectedAt = Date.now();
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
    const lastFaultAt = Date.now();
    const settled = () => tailRestarts() >= TAIL_RESTARTS && symbols.every((s) => _lagMs(csvPath(s)) <= 2000);
    await waitFor(settled, "the recorder to settle", SETTLE_LIMIT_MS, 250)
      .then(() => (settleSeconds = Math.round((Date.now() - lastFaultAt) / 100) / 10))
      .catch(() => problems.push(`the recorder did not settle within ${SETTLE_LIMIT_MS / 1000} s of the last fault: ${tailRestarts()} proactive restarts since, newest rows ${symbols.map((s) => `${_lagMs(csvPath(s))} ms`).join(", ")} behind`));
    if (recorder.exitCode !== null) problems.push(`the recorder exited by itself with ${recorder.exitCode}`);
  } finally {
    stopAt = Date.now();
    const code = await stopProcess(recorder);
    exitedAt = Date.now();
    if (code !== 0) problems.push(`the recorder exited ${code} on SIGTERM`);
    await exchange.stop();
  }
  const maxRssKb = Math.max(...rss.stop());
  // From the candle open when it connected to the last that closed STOP_GRACE_MS before the stop, none after its exit.
  const expected = { first: openedBetween("1s", startedAt, connectedAt), last: closedBetween("1s", stopAt - STOP_GRACE_MS, exitedAt) };
  const total = totalVerdicts(symbols.map((s) => checkCsv(csvPath(s), exchange, s, "1s", expected)));
  problems.push(...total.problems);
  const state = _readState(join(options.dir, "state.json"), problems);
  if (state && state.status !== "stopped") problems.push(`state status is ${state.status}, not stopped`);
  return {
    seconds: Math.round((stopAt - startedAt) / 1000),
    proactiveRestarts: state?.proactive_restarts ?? 0,
    tailRestarts: tailRestarts(),
    settleSeconds,
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
    `soak: ${r.seconds} s, ${r.proactiveRestarts} proactive restarts, ${r.reconnects} reconnects, settled ${r.settleSeconds ?? "never"} s after the last fault, faults: ${faults || "none"}; ` +
    `${r.rows} rows, ${r.lost} lost, ${r.duplicated} duplicated, ${r.wrong} wrong; max RSS ${(r.maxRssKb / 1024).toFixed(1)} MiB`
  );
}

/** How one part of `npm run soak` came out. A skipped part proved nothing: it is neither passed nor failed, and never printed as ok. */
export type PartStatus = "ok" | "failed" | "skipped";

export interface PartOutcome {
  status: PartStatus;
  line: string;
  /** The problems of a failed part; why a skipped part could not run. */
  details: string[];
}

/** The lines `npm run soak` prints for one part: "ok", "FAIL" and its problems, or "SKIP" and why. */
export function formatPart(outcome: PartOutcome): string[] {
  if (outcome.status === "skipped") return [`SKIP ${outcome.line}: skipped, ${outcome.details.join("; ")}`];
  return [`${outcome.status === "ok" ? "ok  " : "FAIL"} ${outcome.line}`, ...outcome.details.slice(0, 20).map((d) => `       ${d}`)];
}

/** "N passed, N failed, N skipped"; under CI a skipped part also fails the run (`ok` false). */
export function tallyParts(outcomes: PartOutcome[], ci: boolean): { line: string; ok: boolean } {
  const count = (status: PartStatus) => outcomes.filter((o) => o.status === status).length;
  const [passed, failed, skipped] = [count("ok"), count("failed"), count("skipped")];
  const ciNote = ci && skipped > 0 ? " (under CI a skipped part fails the run)" : "";
  return { line: `${passed} passed, ${failed} failed, ${skipped} skipped${ciNote}`, ok: failed === 0 && !(ci && skipped > 0) };
}

/** Parts of `npm run soak` this machine would skip, and why: what its prerequisites lack. */
export function soakPartsMissing(dir: string): { part: string; why: string }[] {
  const disk = diskTroubleMissing(dir);
  const missing = [
    { part: "disk full", why: disk.full },
    { part: "disk read-only", why: disk.readOnly },
    { part: "security: tmux session names", why: Bun.which("tmux") ? undefined : "tmux is not installed" },
    { part: "audit", why: Bun.which("npm") ? undefined : "npm is not installed" },
  ];
  return missing.filter((m): m is { part: string; why: string } => m.why !== undefined);
}

/** True under a CI runner (CI=true, as GitHub Actions and most others set it). */
export function underCi(): boolean {
  return process.env.CI === "true" || process.env.CI === "1";
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

/** Times of the "proactive restart at" log lines. */
function _restartTimes(logPath: string): number[] {
  return [...readFileSync(logPath, "utf8").matchAll(/^(\S+) .*proactive restart at /gm)].map((m) => Date.parse(m[1]!));
}

/** How far the newest row of a 1s CSV is behind the last closed candle, ms; Infinity without rows. */
function _lagMs(path: string): number {
  const last = newestRowTime(path);
  return last === undefined ? Infinity : candleOpenAt("1s", Date.now()) - 1000 - last;
}

function _readState(path: string, problems: string[]): { status: string; proactive_restarts: number; reconnects: number } | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    problems.push(`cannot read the state file ${path}: ${(err as Error).message}`);
    return undefined;
  }
}
