/**
 * Benchmark, the whole market: the figures for recording every symbol at once, each
 * beside a bare client's floor measured in the same run.
 *
 * Two loads, each on its own `dist/resilience simulate --symbols N --seed S` process:
 * - the market: N = 1,500 (1,500 TRADING symbols and 45 BREAK ones), every TRADING symbol × 1m,
 *   1,500 streams on 8 connections; the recorder as a user runs it, `--symbol all`;
 * - the stress: N = 600, those 600 symbols × 1s (`--symbol LIST --interval 1s`), 600 streams on 3
 *   connections: 600 closes every second, and the mass drop below.
 *
 * Clients, one at a time, each against a fresh simulator (so its REST figures are its own):
 * - `dist/resilience run … --no-dashboard --restart-every 0`: CPU and RSS;
 * - the recorder in this process (createSupervisor + heartbeat, wired as `run` wires them, the
 *   sync pool on as with 64+ streams): close-to-disk, from its `onDurable(stream, openTime)`;
 * - the floor, a bare Bun client compiled like the recorder (its source is written out below):
 *   the same combined-stream URLs of 200 streams, JSON.parse, and for each closed kline write(2)
 *   + fdatasync of the row to its own file; it reconnects 500 ms after a close, and on every
 *   (re)connect fetches each stream's missed candles with one GET /api/v3/klines (up to 64 at
 *   once, within the 6,000 weight a minute), holding the stream's live closes until then and
 *   writing them all with one write + fdatasync. It gives CPU, RSS, close-to-disk and the
 *   repair, all in one run. A second floor (full runs, or `--pool`) syncs on the
 *   recorder's own sync pool (src/candles/sync-pool.ts); its main thread never waits on a
 *   sync, so when it parsed each close is also shown: the simulator's and the socket's part.
 * Every client starts as a recorder resuming after a pause: `--since` 5 min back (market) or
 * 30 s (stress), so the start-up repairs every stream over REST (the market's peak REST weight)
 * and the sync pool's threads are running before anything is measured.
 *
 * Measured:
 * - CPU % of one core (user + system from /proc/<pid>/stat over the window's wall time) and RSS
 *   (/proc/<pid>/status every second: median, max). Market: a window from 20 s before the first
 *   minute burst to 25 s after the last (start-up excluded, the same bursts in every window).
 *   Stress: a window after a warm-up.
 * - Close-to-disk: for every row of the measured candles, the instant its fdatasync returned
 *   (performance.timeOrigin + now) minus the candle's close boundary (openTime + interval).
 *   Market: every row of BURSTS minute bursts per client; stress: every row closing in the window.
 * - The mass drop (stress): the simulator drops every connection and refuses new ones for 15 s
 *   (`--faults drop@T,refuse:15s@T`); from the refusal's end (its log line's time + 15 s) until
 *   the client's connections are all open (/sim/stats, polled every 100 ms) and every CSV's last
 *   row is the last closed candle, or the one before (tails polled every 200 ms). Both clients
 *   write rows in order (behind a hole they hold), so a current tail means the hole is filled;
 *   then every CSV is checked row by row against the simulator's candles from 10 s before the
 *   drop. REST: requests during the repair, and the simulator's peak weight a minute and limit
 *   counts (414, too many streams, 429 attempts, 1008, REST 429, 418) for the whole scenario.
 *
 * Each market client needs its own minute bursts, so the full run takes about 15 minutes
 * (2 bursts per client); `--quick` about 6 (1 burst, shorter stress windows, no pool floor).
 * CSVs go to the system temp directory (check it is a disk, not tmpfs).
 *
 *   bun scripts/bench-market.ts [--quick] [--bursts 2] [--symbols 1500] [--stress 600] [--seed 5] [--json] [--keep DIR]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { systemClock } from "../src/clock.ts";
import { resolveConfig } from "../src/config/resolve.ts";
import { simulatedKline } from "../src/sim/candles.ts";
import { createHeartbeat, stateTouchDelayMs, type Heartbeat } from "../src/state/heartbeat.ts";
import { createSupervisor } from "../src/supervisor/supervisor.ts";
import { candleOpenAt, intervalMs, type Interval } from "../src/time/intervals.ts";
import { describeMachine } from "./lib/machine.ts";
import { cpuTimeMs, sampleRss } from "./lib/proc-stats.ts";
import { waitFor } from "./lib/process-io.ts";
import { BINARY, spawnRecorder, stopProcess } from "./lib/recorder.ts";
import { formatCount, formatKb, formatMs, formatRatio, markdownTable, median, percentile } from "./lib/stats.ts";
import { preciseNow } from "./lib/timing.ts";
import { checkCsv, newestRowTime, totalVerdicts } from "./lib/truth-check.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false }, bursts: { type: "string" }, symbols: { type: "string", default: "1500" }, stress: { type: "string", default: "600" },
    seed: { type: "string", default: "5" }, json: { type: "boolean", default: false }, keep: { type: "string" }, pool: { type: "boolean" },
  },
});
const QUICK = values.quick;
const BURSTS = Number(values.bursts ?? (QUICK ? 1 : 2));
const MARKET_SYMBOLS = Number(values.symbols);
const STRESS_SYMBOLS = Number(values.stress);
const SEED = Number(values.seed);
const WITH_POOL_FLOOR = values.pool ?? !QUICK;
const MINUTE_MS = 60_000;
/** The market's CPU window starts this long before its first burst and ends this long after its last. */
const BEFORE_BURST_MS = 20_000;
const AFTER_BURST_MS = 25_000;
/** Stress: warm-up, then the steady window (CPU, RSS, close-to-disk). */
const STRESS_WARMUP_MS = QUICK ? 10_000 : 15_000;
const STRESS_WINDOW_MS = QUICK ? 20_000 : 60_000;
/** The mass drop: connections refused this long after it. */
const REFUSE_S = 15;
const REPAIR_TIMEOUT_MS = 120_000;
/** How far back each client starts (a recorder resuming after a pause). */
const MARKET_SINCE_MS = 5 * MINUTE_MS;
const STRESS_SINCE_MS = 30_000;
const STREAMS_PER_CONNECTION = 200;
const bun = join(import.meta.dir, "../node_modules/.bin/bun");
const progress = (line: string) => console.error(`[bench-market ${new Date().toISOString().slice(11, 19)}] ${line}`);

if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run npm run build first`);
const dir = values.keep ?? mkdtempSync(join(tmpdir(), "bench-market-"));
mkdirSync(dir, { recursive: true });
const machineBusy = _machineBusy();
const load0 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  const floorBin = _compileFloor(dir);
  progress(`floor compiled; CSVs in ${dir}`);
  const market = await _market(floorBin);
  const stress = await _stress(floorBin);
  const busyPct = machineBusy();
  const load1 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  if (values.json) console.log(JSON.stringify({ bursts: BURSTS, market, stress, machineBusyPct: busyPct, loadavg: [load0, load1] }));
  else _print(market, stress, busyPct, load0, load1);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

interface _Usage {
  cpuPct: number;
  rssKb: number;
  maxRssKb: number;
}
interface _Latency {
  rows: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}
interface _Rest {
  requests: number;
  peakWeight: number;
  limits: Record<string, number>;
}
interface _Repair {
  backMs: number;
  doneMs: number;
  fromDropMs: number;
  restRequests: number;
  lost: number;
  duplicated: number;
  wrong: number;
  problems: string[];
}

/** The market: the binary (CPU, RSS), the recorder in-process (close-to-disk), the floor(s); each its own bursts. */
async function _market(floorBin: string) {
  const slot = _minuteSlots();
  const symbols = await _tradingSymbols(MARKET_SYMBOLS);
  progress(`market: ${symbols.length} TRADING symbols × 1m, ${BURSTS} burst(s) per client`);

  const binary = await slot.next(async (first, sim, run) => {
    const proc = spawnRecorder({ command: [BINARY], symbols: ["all"], interval: "1m", wsUrl: sim.wsUrl, restUrl: sim.url, out: join(run, "csv"), state: join(run, "state.json"), logPath: join(run, "run.log"), extra: ["--since", String(first - MARKET_SINCE_MS - MINUTE_MS)] });
    return { usage: await _windowAround(proc, first, () => _startupDone(join(run, "state.json"))), stop: () => stopProcess(proc) };
  });
  const inProcess = await slot.next(async (first, sim, run) => {
    const recorder = _inProcessRecorder(sim, symbols, "1m", run, first - MARKET_SINCE_MS - MINUTE_MS, _burstOpenTimes(first));
    await Bun.sleep(first + (BURSTS - 1) * MINUTE_MS + AFTER_BURST_MS - Date.now());
    return { latency: recorder.latency(symbols.length * BURSTS), stop: async () => recorder.stop() };
  });
  const floors = [];
  for (const pool of WITH_POOL_FLOOR ? [false, true] : [false]) {
    floors.push(
      await slot.next(async (first, sim, run) => {
        const floor = _spawnFloor(floorBin, { sim, symbols, interval: "1m", run, pool, since: first - MARKET_SINCE_MS - MINUTE_MS, measure: _burstOpenTimes(first) });
        const usage = await _windowAround(floor.proc, first, async () => true);
        return { usage, latency: await floor.stop(symbols.length * BURSTS), stop: async () => {} };
      }),
    );
  }
  return { streams: symbols.length, binary, inProcess, floor: floors[0]!, floorPool: floors[1] };
}

/** The stress: 600 × 1s; the binary (CPU, RSS, mass drop), the floor (all of it), the recorder in-process (close-to-disk). */
async function _stress(floorBin: string) {
  const symbols = await _tradingSymbols(STRESS_SYMBOLS);
  progress(`stress: ${symbols.length} symbols × 1s`);
  const dropAtS = Math.ceil((STRESS_WARMUP_MS + STRESS_WINDOW_MS) / 1000) + 5;
  const faults = `drop@${dropAtS}s,refuse:${REFUSE_S}s@${dropAtS}s`;
  const connections = Math.ceil(symbols.length / STREAMS_PER_CONNECTION);

  const binary = await _withSim(STRESS_SYMBOLS, faults, "stress-resilience", async (sim, run) => {
    const csv = join(run, "csv");
    const proc = spawnRecorder({ command: [BINARY], symbols, interval: "1s", wsUrl: sim.wsUrl, restUrl: sim.url, out: csv, state: join(run, "state.json"), logPath: join(run, "run.log"), extra: ["--since", String(Date.now() - STRESS_SINCE_MS)] });
    try {
      await Bun.sleep(STRESS_WARMUP_MS);
      const usage = await _window(proc, STRESS_WINDOW_MS);
      const repair = await _massDrop(sim, symbols, csv, connections, async () => void (await stopProcess(proc)));
      return { usage, repair, rest: await sim.rest() };
    } finally {
      await stopProcess(proc);
    }
  });
  const floor = await _withSim(STRESS_SYMBOLS, faults, "stress-floor", async (sim, run) => {
    const from = candleOpenAt("1s", Date.now() + STRESS_WARMUP_MS);
    const measure = { from, until: from + STRESS_WINDOW_MS };
    const f = _spawnFloor(floorBin, { sim, symbols, interval: "1s", run, pool: false, since: Date.now() - STRESS_SINCE_MS, measure });
    await Bun.sleep(from - Date.now());
    const usage = await _window(f.proc, STRESS_WINDOW_MS);
    let latency: (_Latency & { received: _Latency }) | undefined;
    const repair = await _massDrop(sim, symbols, join(run, "csv"), connections, async () => void (latency = await f.stop(symbols.length * (STRESS_WINDOW_MS / 1000))));
    return { usage, latency: latency!, repair, rest: await sim.rest() };
  });
  const latencyRun = async <L extends _Latency>(name: string, measureRun: (sim: _Sim, run: string, measure: _Measure) => Promise<L>) =>
    _withSim(STRESS_SYMBOLS, undefined, name, async (sim, run) => {
      const from = candleOpenAt("1s", Date.now() + STRESS_WARMUP_MS);
      return measureRun(sim, run, { from, until: from + STRESS_WINDOW_MS });
    });
  const inProcess = await latencyRun("stress-in-process", async (sim, run, measure) => {
    const recorder = _inProcessRecorder(sim, symbols, "1s", run, Date.now() - STRESS_SINCE_MS, measure);
    await Bun.sleep(measure.until + 3000 - Date.now());
    const latency = recorder.latency(symbols.length * (STRESS_WINDOW_MS / 1000));
    recorder.stop();
    return latency;
  });
  const floorPool = WITH_POOL_FLOOR
    ? await latencyRun("stress-floor-pool", async (sim, run, measure) => {
        const f = _spawnFloor(floorBin, { sim, symbols, interval: "1s", run, pool: true, since: Date.now() - STRESS_SINCE_MS, measure });
        await Bun.sleep(measure.until + 3000 - Date.now());
        return f.stop(symbols.length * (STRESS_WINDOW_MS / 1000));
      })
    : undefined;
  return { streams: symbols.length, connections, faults, binary, floor, inProcess, floorPool };
}

type _Measure = { from: number; until: number };

/** Open times of the candles that close at the BURSTS minute boundaries from `first` on. */
function _burstOpenTimes(first: number): _Measure {
  return { from: first - MINUTE_MS, until: first + (BURSTS - 1) * MINUTE_MS };
}

/**
 * Market clients one after the other, each on its own simulator, each started about 34 s
 * before its first minute burst and stopped 25 s after its last; the next one's first burst is
 * the following minute, so no minute is wasted.
 */
function _minuteSlots() {
  let n = 0;
  let nextFirst: number | undefined;
  return {
    async next<T extends { stop(): Promise<unknown> }>(body: (first: number, sim: _Sim, run: string) => Promise<T>): Promise<Omit<T, "stop"> & { rest: _Rest }> {
      const sim = await _startSim(MARKET_SYMBOLS, undefined, join(dir, `market-${++n}`));
      try {
        if (nextFirst === undefined || nextFirst - Date.now() < 15_000) {
          const soon = Math.ceil((Date.now() + 30_000) / MINUTE_MS) * MINUTE_MS;
          await Bun.sleep(soon - 34_000 - Date.now());
          nextFirst = soon;
        }
        const first = nextFirst;
        nextFirst = first + BURSTS * MINUTE_MS;
        progress(`market client ${n}: first burst at ${new Date(first).toISOString().slice(11, 19)}`);
        const { stop, ...result } = await body(first, sim, sim.run);
        await stop();
        return { ...result, rest: await sim.rest() };
      } finally {
        await sim.stop();
      }
    },
  };
}

/** CPU and RSS of `proc` from 20 s before the burst at `first` to 25 s after the last burst. */
async function _windowAround(proc: Subprocess, first: number, ready: () => boolean | Promise<boolean>): Promise<_Usage & { startupDone: boolean }> {
  await Bun.sleep(first - BEFORE_BURST_MS - Date.now());
  const startupDone = await ready();
  if (!startupDone) progress("warning: the start-up was not over when the window opened");
  const usage = await _window(proc, BEFORE_BURST_MS + (BURSTS - 1) * MINUTE_MS + AFTER_BURST_MS);
  return { ...usage, startupDone };
}

async function _window(proc: Subprocess, ms: number): Promise<_Usage> {
  const cpu0 = cpuTimeMs(proc.pid);
  const t0 = performance.now();
  const rss = sampleRss(proc.pid, 1000);
  await Bun.sleep(ms);
  const cpuPct = ((cpuTimeMs(proc.pid) - cpu0) / (performance.now() - t0)) * 100;
  const samples = rss.stop();
  return { cpuPct, rssKb: median(samples), maxRssKb: Math.max(...samples) };
}

/** The binary's state file says its start-up backfill is over and every connection is open. */
function _startupDone(stateFile: string): boolean {
  try {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { rest?: { queued: number; in_flight: number }; connections?: { open: number; total: number } };
    return state.rest?.queued === 0 && state.rest.in_flight === 0 && state.connections?.open === state.connections?.total;
  } catch {
    return false;
  }
}

/**
 * The real supervisor and heartbeat in this process; close-to-disk of rows whose open time is
 * in `measure`, from the close boundary and (its own part) from the moment the closing event
 * arrived on its socket: a listener added before the recorder's own notes each arrival.
 */
function _inProcessRecorder(sim: _Sim, symbols: string[], interval: Interval, run: string, since: number, measure: _Measure) {
  const config = resolveConfig({}, undefined, { symbol: symbols.join(","), interval, wsUrl: sim.wsUrl, restUrl: sim.url, restartEvery: "0", since: String(since), out: join(run, "csv"), state: join(run, "state.json") });
  const step = intervalMs(interval);
  const latencies: number[] = [];
  const own: number[] = [];
  const arrived = new Map<string, number>();
  let heartbeat: Heartbeat | undefined;
  const supervisor = createSupervisor({
    config,
    version: "bench",
    createSocket(url) {
      const ws = new WebSocket(url);
      ws.addEventListener("message", (event: MessageEvent) => {
        const text = typeof event.data === "string" ? event.data : "";
        if (!text.includes('"x":true')) return;
        const m = /"stream":"([a-z0-9]+)@kline_(\w+)".*?"k":\{"t":(\d+)/.exec(text);
        if (m) arrived.set(`${m[1]!.toUpperCase()}@${m[2]}@${m[3]}`, preciseNow());
      });
      return ws;
    },
    onDurable(stream, openTime) {
      if (openTime < measure.from || openTime >= measure.until) return;
      const now = preciseNow();
      latencies.push(now - (openTime + step));
      const at = arrived.get(`${stream}@${openTime}`);
      if (at !== undefined) own.push(now - at);
    },
    onChange: () => heartbeat?.touch(),
  });
  supervisor.start();
  heartbeat = createHeartbeat({ path: config.stateFile, clock: systemClock, intervalMs: config.heartbeatIntervalMs, touchDelayMs: stateTouchDelayMs(symbols.length), build: () => supervisor.state() });
  return {
    latency: (expected: number) => ({ ..._latency(latencies, expected), own: _latency(own, expected) }),
    stop() {
      supervisor.stop("done");
      heartbeat?.stop();
    },
  };
}

function _latency(latencies: number[], expected: number): _Latency {
  return { rows: latencies.length, expected, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

/**
 * Waits for the drop the simulator was told to make, then until the client is whole again.
 * `stopClient` runs once it is (before the CSVs are checked).
 */
async function _massDrop(sim: _Sim, symbols: string[], csvDir: string, connections: number, stopClient: () => Promise<void>): Promise<_Repair> {
  await waitFor(() => sim.faults.has("drop") && sim.faults.has(`refuse:${REFUSE_S}s`), "the simulator's drop", 60_000, 20);
  const dropAt = sim.faults.get("drop")!;
  const refuseEnd = sim.faults.get(`refuse:${REFUSE_S}s`)! + REFUSE_S * 1000;
  const requests0 = (await sim.stats()).restRequests;
  progress(`  drop at ${new Date(dropAt).toISOString().slice(11, 23)}, refused until ${new Date(refuseEnd).toISOString().slice(11, 23)}`);
  await Bun.sleep(Math.max(0, refuseEnd - Date.now()));
  const paths = symbols.map((s) => join(csvDir, `candles_${s}_1s.csv`));
  const deadline = Date.now() + REPAIR_TIMEOUT_MS;
  let backAt: number | undefined;
  let doneAt: number | undefined;
  while (doneAt === undefined && Date.now() < deadline) {
    const now = Date.now();
    if (backAt === undefined) {
      if ((await sim.stats()).openConnections >= connections) backAt = now;
      else {
        await Bun.sleep(100);
        continue;
      }
    }
    const edge = candleOpenAt("1s", now) - 2000;
    if (paths.every((p) => (newestRowTime(p) ?? 0) >= edge)) doneAt = now;
    else await Bun.sleep(200);
  }
  const restRequests = (await sim.stats()).restRequests - requests0;
  await Bun.sleep(2000);
  await stopClient();
  const truth = { truth: (symbol: string, interval: Interval, t: number) => simulatedKline(SEED, symbol, interval, t) };
  const until = candleOpenAt("1s", doneAt ?? Date.now()) - 1000;
  const total = totalVerdicts(symbols.map((s, i) => checkCsv(paths[i]!, truth, s, "1s", { from: candleOpenAt("1s", dropAt) - 10_000, until })));
  const problems = doneAt === undefined ? [`not repaired ${REPAIR_TIMEOUT_MS / 1000} s after the refusal ended`, ...total.problems] : total.problems;
  return { backMs: (backAt ?? NaN) - refuseEnd, doneMs: (doneAt ?? NaN) - refuseEnd, fromDropMs: (doneAt ?? NaN) - dropAt, restRequests, lost: total.lost, duplicated: total.duplicated, wrong: total.wrong, problems: problems.slice(0, 10) };
}

// --- the simulator ---

interface _Sim {
  url: string;
  wsUrl: string;
  /** Where this client's files go. */
  run: string;
  /** Each fault the simulator logged, by its spec (`drop`, `refuse:15s`), and when (its log line's time). */
  faults: Map<string, number>;
  stats(): Promise<{ openConnections: number; restRequests: number; peakWeightPerMinute: number; limits: Record<string, number> }>;
  rest(): Promise<_Rest>;
  stop(): Promise<void>;
}

async function _startSim(symbols: number, faults: string | undefined, run: string): Promise<_Sim> {
  mkdirSync(run, { recursive: true });
  const args = [BINARY, "simulate", "--port", "0", "--symbols", String(symbols), "--seed", String(SEED), ...(faults ? ["--faults", faults] : [])];
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: Bun.file(join(run, "simulate.err")), env: { ...process.env, NO_COLOR: "1" } });
  const seen = new Map<string, number>();
  let onBanner: (line: string) => void = () => {};
  const banner = new Promise<string>((resolve) => (onBanner = resolve));
  void _lines(proc.stdout, (line) => {
    onBanner(line);
    const fault = /^(\S+Z)\s+INFO\s+\[simulate\] fault (\S+)/.exec(line);
    if (fault) seen.set(fault[2]!, Date.parse(fault[1]!));
  });
  const url = /listening on (http:\/\/\S+)/.exec(await banner)?.[1];
  if (!url) throw new Error(`simulate did not say where it listens: ${await banner}`);
  const stats = async () => (await (await fetch(`${url}/sim/stats`)).json()) as Awaited<ReturnType<_Sim["stats"]>>;
  return {
    url,
    wsUrl: url.replace("http", "ws"),
    run,
    faults: seen,
    stats,
    async rest() {
      const s = await stats();
      return { requests: s.restRequests, peakWeight: s.peakWeightPerMinute, limits: s.limits };
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function _withSim<T>(symbols: number, faults: string | undefined, name: string, body: (sim: _Sim, run: string) => Promise<T>): Promise<T> {
  progress(`${name}`);
  const sim = await _startSim(symbols, faults, join(dir, name));
  try {
    return await body(sim, sim.run);
  } finally {
    await sim.stop();
  }
}

/** The TRADING symbols of a simulated market of `n` (the same seed gives the same market). */
async function _tradingSymbols(n: number): Promise<string[]> {
  const sim = await _startSim(n, undefined, join(dir, `symbols-${n}`));
  try {
    const info = (await (await fetch(`${sim.url}/api/v3/exchangeInfo`)).json()) as { symbols: { symbol: string; status: string }[] };
    return info.symbols.filter((s) => s.status === "TRADING").map((s) => s.symbol);
  } finally {
    await sim.stop();
  }
}

async function _lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    text = lines.pop()!;
    for (const line of lines) onLine(line);
  }
}

// --- the floor ---

interface _FloorOptions {
  sim: _Sim;
  symbols: string[];
  interval: Interval;
  run: string;
  /** fdatasync on the recorder's sync pool instead of inline. */
  pool: boolean;
  /** Rows from this open time on are missing at start (fetched over REST, as after a pause). */
  since: number;
  measure: _Measure;
}

/** Starts the compiled floor; `stop(expected)` ends it and reads its close-to-disk figures. */
function _spawnFloor(bin: string, o: _FloorOptions) {
  const out = join(o.run, "csv");
  mkdirSync(out, { recursive: true });
  const latencies = join(o.run, "floor-latencies.json");
  const step = intervalMs(o.interval);
  const config = {
    ws: o.sim.wsUrl, rest: o.sim.url, out, pool: o.pool, perConnection: STREAMS_PER_CONNECTION, retryMs: 500, weightPerMinute: 6000, maxInFlight: 64,
    streams: o.symbols.map((s) => `${s}@${o.interval}`), since: candleOpenAt(o.interval, o.since), measureFrom: o.measure.from, measureUntil: o.measure.until,
    measureRows: o.symbols.length * Math.ceil((o.measure.until - o.measure.from) / step) + 1, latencies,
  };
  writeFileSync(join(o.run, "floor.json"), JSON.stringify(config));
  const proc = Bun.spawn([bin, join(o.run, "floor.json")], { stdout: "ignore", stderr: Bun.file(join(o.run, "floor.err")) });
  return {
    proc,
    /** Close-to-disk; `received`: the same rows' close events parsed (what the simulator's sending costs). */
    async stop(expected: number): Promise<_Latency & { received: _Latency }> {
      await stopProcess(proc);
      const found = existsSync(latencies) ? (JSON.parse(readFileSync(latencies, "utf8")) as { durable: number[]; received: number[] }) : { durable: [], received: [] };
      return { ..._latency(found.durable, expected), received: _latency(found.received, expected) };
    },
  };
}

/** Writes the floor's source (plain JS, so no type-check of it) and compiles it like `npm run build`. */
function _compileFloor(outDir: string): string {
  const source = join(outDir, "floor-market.js");
  writeFileSync(source, _floorSource().replace("SYNC_POOL_MODULE", JSON.stringify(join(import.meta.dir, "../src/candles/sync-pool.ts"))));
  const bin = join(outDir, "floor-market");
  const build = Bun.spawnSync([bun, "build", source, "--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--outfile", bin], { stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`cannot compile the floor client: ${build.stderr.toString()}`);
  return bin;
}

/** The bare client (see the header). Config: the JSON file named by argv[2], written by _spawnFloor. */
function _floorSource(): string {
  return String.raw`
import { fdatasyncSync, fstatSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { createSyncPool } from SYNC_POOL_MODULE;

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const pool = cfg.pool ? createSyncPool() : undefined;
// Close-to-disk of the measured rows, and when their close events were parsed (the simulator's own delay).
const latencies = new Float64Array(cfg.measureRows);
const received = new Float64Array(cfg.measureRows);
let measured = 0, heard = 0;
const files = new Map();
for (const key of cfg.streams) {
  const [symbol, interval] = key.split("@");
  const fd = openSync(cfg.out + "/candles_" + symbol + "_" + interval + ".csv", "a");
  if (fstatSync(fd).size === 0) writeSync(fd, "timestamp,open,high,low,close,volume\n");
  const ms = interval === "1s" ? 1000 : 60000;
  files.set(key, { symbol, interval, ms, fd, last: cfg.since - ms, held: undefined });
}

function durable(f, t) {
  if (t >= cfg.measureFrom && t < cfg.measureUntil && measured < latencies.length) latencies[measured++] = performance.timeOrigin + performance.now() - (t + f.ms);
}
/** Klines (oldest first) newer than the last row: one write(2) and one fdatasync for all of them. */
function append(f, klines) {
  let text = "";
  const times = [];
  for (const k of klines) {
    if (k.t <= f.last) continue;
    f.last = k.t;
    text += new Date(k.t).toISOString().slice(0, 19) + "Z," + k.o + "," + k.h + "," + k.l + "," + k.c + "," + k.v + "\n";
    times.push(k.t);
  }
  if (times.length === 0) return;
  writeSync(f.fd, text);
  const done = () => {
    for (const t of times) durable(f, t);
  };
  if (pool) pool.sync(f.fd).then(done);
  else {
    fdatasyncSync(f.fd);
    done();
  }
}

// REST: Binance's weight per fixed minute, and at most maxInFlight requests out.
let minute = 0, weight = 0, inFlight = 0;
const waiting = [];
async function slot() {
  if (inFlight >= cfg.maxInFlight) await new Promise((resolve) => waiting.push(resolve));
  inFlight++;
  for (;;) {
    const m = Math.floor(Date.now() / 60000);
    if (m !== minute) [minute, weight] = [m, 0];
    if (weight + 2 <= cfg.weightPerMinute) return void (weight += 2);
    await Bun.sleep(60000 - (Date.now() % 60000) + 5);
  }
}
function release() {
  inFlight--;
  waiting.shift()?.();
}
/** One GET for every candle after the last row; live closes wait until its rows are written. */
async function repair(f) {
  if (f.held) return;
  f.held = [];
  const fetched = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await slot();
    try {
      const asked = Date.now(); // rows closed before it were closed when the exchange answered
      const res = await fetch(cfg.rest + "/api/v3/klines?symbol=" + f.symbol + "&interval=" + f.interval + "&startTime=" + (f.last + f.ms) + "&limit=1000");
      if (!res.ok) throw new Error("HTTP " + res.status);
      const rows = await res.json();
      for (const r of rows) if (r[6] < asked) fetched.push({ t: r[0], o: r[1], h: r[2], l: r[3], c: r[4], v: r[5] });
      break;
    } catch {
      await Bun.sleep(500);
    } finally {
      release();
    }
  }
  const held = f.held;
  f.held = undefined;
  append(f, [...fetched, ...held]);
}

function connect(keys) {
  const names = keys.map((key) => key.split("@")[0].toLowerCase() + "@kline_" + key.split("@")[1]);
  const ws = new WebSocket(cfg.ws + "/stream?streams=" + names.join("/"));
  ws.onopen = () => {
    for (const key of keys) repair(files.get(key));
  };
  ws.onmessage = (event) => {
    const k = JSON.parse(event.data).data.k;
    if (!k.x) return;
    const f = files.get(k.s + "@" + k.i);
    if (k.t >= cfg.measureFrom && k.t < cfg.measureUntil && heard < received.length) received[heard++] = performance.timeOrigin + performance.now() - (k.t + f.ms);
    if (f.held) f.held.push(k);
    else append(f, [k]);
  };
  ws.onerror = () => {};
  ws.onclose = () => setTimeout(() => connect(keys), cfg.retryMs);
}

process.on("SIGTERM", () => {
  writeFileSync(cfg.latencies, JSON.stringify({ durable: Array.from(latencies.subarray(0, measured)), received: Array.from(received.subarray(0, heard)) }));
  process.exit(0);
});
if (pool) await Promise.all([...files.values()].map((f) => pool.sync(f.fd))); // start its threads
const keys = [...files.keys()];
for (let i = 0; i < keys.length; i += cfg.perConnection) connect(keys.slice(i, i + cfg.perConnection));
`;
}

// --- the report ---

function _print(market: Awaited<ReturnType<typeof _market>>, stress: Awaited<ReturnType<typeof _stress>>, busyPct: number, load0: string, load1: string): void {
  const pct = (x: number) => `${x.toFixed(2)} %`;
  const rss = (u: _Usage) => `${formatKb(u.rssKb)} (${formatKb(u.maxRssKb)})`;
  console.log(`Machine: ${describeMachine()}`);
  console.log(`Other work on the machine: load average ${load0} at the start, ${load1} at the end; all processes together kept ${busyPct.toFixed(0)} % of its ${navigator.hardwareConcurrency} cores busy over the run.`);
  console.log(`\nCPU and RSS (market: ${BURSTS} minute burst(s) in a ${((BEFORE_BURST_MS + (BURSTS - 1) * MINUTE_MS + AFTER_BURST_MS) / 1000).toFixed(0)} s window; stress: a ${STRESS_WINDOW_MS / 1000} s window; RSS: median of 1 s samples, max)`);
  const usageRow = (load: string, r: _Usage, f: _Usage) => [load, pct(r.cpuPct), pct(f.cpuPct), formatRatio(r.cpuPct / f.cpuPct), rss(r), rss(f), formatRatio(r.rssKb / f.rssKb)];
  console.log(
    markdownTable(
      [
        ["load", "resilience CPU (one core)", "floor CPU", "CPU vs floor", "resilience RSS (max)", "floor RSS (max)", "RSS vs floor"],
        usageRow(`${formatCount(market.streams)} × 1m`, market.binary.usage, market.floor.usage),
        usageRow(`${formatCount(stress.streams)} × 1s`, stress.binary.usage, stress.floor.usage),
      ],
      ["l", "r", "r", "r", "r", "r", "r"],
    ),
  );
  if (market.floorPool) console.log(`(the floor on the sync pool, ${formatCount(market.streams)} × 1m: CPU ${pct(market.floorPool.usage.cpuPct)}, RSS ${rss(market.floorPool.usage)})`);

  console.log(`\nClose-to-disk: fdatasync returned, from the candle's close boundary (market: every row of ${BURSTS} minute burst(s) per client; stress: every row closing in the window)`);
  const lat = (load: string, label: string, l: _Latency, floor: _Latency) => [load, label, `${formatCount(l.rows)} of ${formatCount(l.expected)}`, formatMs(l.p50), formatMs(l.p99), formatMs(l.max), formatRatio(l.p50 / floor.p50), formatRatio(l.p99 / floor.p99)];
  type Received = _Latency & { received: _Latency };
  type Own = _Latency & { own: _Latency };
  const latRows = (load: string, s: { floor: { latency: Received }; floorPool?: { latency: Received } | Received; inProcess: { latency: Own } | Own }) => {
    const get = <L extends _Latency>(x: { latency: L } | L): L => ("latency" in x ? x.latency : x);
    const floor = s.floor.latency;
    // The pool floor's main thread never waits on a sync: when it parsed a close is the arrival floor.
    const arrival = s.floorPool ? [lat(load, "(close event parsed by the bare client on the pool: the simulator + the socket)", get(s.floorPool).received, floor)] : [];
    return [
      ...arrival,
      lat(load, "bare client: write + fdatasync inline (floor)", floor, floor),
      ...(s.floorPool ? [lat(load, "bare client: fdatasync on the sync pool", get(s.floorPool), floor)] : []),
      lat(load, "resilience (createSupervisor + heartbeat)", get(s.inProcess), floor),
      lat(load, "resilience, its own part: from the closing event's arrival on its socket", get(s.inProcess).own, floor),
    ];
  };
  console.log(
    markdownTable(
      [["load", "client", "rows", "p50", "p99", "max", "p50 vs floor", "p99 vs floor"], ...latRows(`${formatCount(market.streams)} × 1m`, market), ...latRows(`${formatCount(stress.streams)} × 1s`, stress)],
      ["l", "l", "r", "r", "r", "r", "r", "r"],
    ),
  );

  console.log(`\nMass drop on ${formatCount(stress.streams)} × 1s (${stress.faults}: every connection dropped, new ones refused ${REFUSE_S} s), and REST`);
  const limits = (l: Record<string, number>) => `${l.uri414}/${l.tooManyStreams}/${l.attempts429}/${l.messages1008}/${l.rest429}/${l.rest418}`;
  const dropRow = (label: string, x: { repair: _Repair; rest: _Rest }, floor: _Repair) => [
    label, formatMs(x.repair.backMs), formatMs(x.repair.doneMs), formatMs(x.repair.fromDropMs), formatRatio(x.repair.doneMs / floor.doneMs),
    formatCount(x.repair.restRequests), formatCount(x.rest.peakWeight), `${x.repair.lost}/${x.repair.duplicated}/${x.repair.wrong}`, limits(x.rest.limits),
  ];
  console.log(
    markdownTable(
      [
        ["client", "connections back (after the refusal)", "every hole repaired (after the refusal)", "(after the drop)", "repaired vs floor", "REST requests for it", "peak REST weight/min (whole run)", "lost/dup/wrong rows", "limits 414/streams/429 conn/1008/429/418"],
        dropRow("bare client (floor)", stress.floor, stress.floor.repair),
        dropRow("resilience run", stress.binary, stress.floor.repair),
      ],
      ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
  );
  console.log(
    `\nMarket start-up (each client resumes ${MARKET_SINCE_MS / MINUTE_MS} min late: one GET per stream): resilience run ${formatCount(market.binary.rest.requests)} REST requests, peak ${formatCount(market.binary.rest.peakWeight)} weight/min, limits ${limits(market.binary.rest.limits)}; ` +
      `bare client ${formatCount(market.floor.rest.requests)} requests, peak ${formatCount(market.floor.rest.peakWeight)} weight/min, limits ${limits(market.floor.rest.limits)}.`,
  );
  for (const [label, r] of [["floor", stress.floor.repair], ["resilience", stress.binary.repair]] as const) for (const p of r.problems) console.log(`problem (${label}): ${p}`);
  if (!market.binary.usage.startupDone) console.log("note: the market binary's start-up was not over when its window opened");
}

/** The share of the machine's CPUs busy (any process) from now until the returned function is called, %. */
function _machineBusy(): () => number {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  return () => {
    const b = read();
    return (1 - (b.idle - a.idle) / (b.total - a.total)) * 100;
  };
}
