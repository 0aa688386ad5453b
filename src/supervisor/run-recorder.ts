import type { ConsolaInstance } from "consola";
import type { ResolvedConfig } from "../config/load.ts";
import { UserError, errorMessage } from "../errors.ts";
import { checkWritable, readState } from "../state/state-file.ts";
import { isRunning } from "../tmux/process.ts";
import { checkSymbols } from "../exchange/check-symbols.ts";
import { createHeartbeat, stateTouchDelayMs, type Heartbeat } from "../state/heartbeat.ts";
import { createKeyReader } from "../terminal/key-reader.ts";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { createLogTail } from "../dashboard/log-tail.ts";
import { dashboardSnapshot } from "../dashboard/from-recorder.ts";
import { detectUtf8, startDashboard, type Dashboard } from "../dashboard/terminal.ts";
import { formatLogLine, setLogSink } from "../logger.ts";
import { logRecorderEvent } from "./event-log.ts";
import type { RecorderEvent } from "./events.ts";
import { createSupervisor, type Supervisor } from "./supervisor.ts";
import { createDashboardView, type DashboardView } from "../dashboard/view-state.ts";
import { createSymbolUniverse } from "./symbol-universe.ts";
import { reportBackfillProgress } from "./backfill-progress.ts";
import { createRestBudget } from "../exchange/rest-budget.ts";
import { systemClock } from "../clock.ts";
import { startRunReplication, type RunReplication } from "../db/replication-for-run.ts";
import { replicationState, type ReplicationSnapshot } from "../db/replication-lag.ts";
import { startRunMonitor, type RunMonitor } from "../metrics/for-run.ts";
import type { AlertChannelCounts } from "../metrics/recorder-metrics.ts";

/** Of the stop deadline, what replication may use to send the rows already in the CSVs. */
const DRAIN_BUDGET_MS = 7_000;

/** A graceful stop that takes longer than this is cut short (exit 1). */
export const STOP_DEADLINE_MS = 10_000;

export interface RunRecorderOptions {
  config: ResolvedConfig;
  version: string;
  log: ConsolaInstance;
  /** Extra listeners (alerts, dashboard). */
  onEvent?: (event: RecorderEvent) => void;
  /** Called when a second signal (or the deadline) demands an immediate exit. */
  forceExit(code: number): void;
  /** Read keys from stdin when it is a TTY. @default true */
  keys?: boolean;
  /** Show the live dashboard when stdout is a TTY (`--no-dashboard` turns it off). */
  dashboard: boolean;
  /** Alert counters for the dashboard. */
  alertStats?: () => { sent: number; queued: number; failed: number };
  /** Alert counters per service, for /metrics. */
  alertChannels?: () => readonly AlertChannelCounts[];
  /** Flushes alerts etc. before exit, bounded by the stop deadline. */
  beforeExit?: () => Promise<void>;
}

/**
 * The long-running `run`: checks the symbols, opens the CSVs, streams until SIGINT,
 * SIGTERM, SIGHUP, or `q` / F10 / Ctrl-C on a TTY, then stops gracefully and resolves
 * with the exit code (0). A second signal forces exit 1 at once.
 */
export async function runRecorder(options: RunRecorderOptions): Promise<number> {
  const { config, log } = options;
  for (const warning of config.warnings) log.warn(warning);
  // --listen binds first: a port in use stops the start before anything is opened.
  const monitor = startRunMonitor({ config, version: options.version, log, alertChannels: options.alertChannels });
  try {
    return await _run(options, monitor);
  } finally {
    monitor.stop();
  }
}

/** The recorder itself; the monitor (`--listen`) is bound and stopped around it. */
async function _run(options: RunRecorderOptions, monitor: RunMonitor): Promise<number> {
  const { config, log } = options;
  const onEvent = (event: RecorderEvent) => {
    logRecorderEvent(log, event);
    options.onEvent?.(event);
  };
  // One REST governor for every call of the process; its limit comes from exchangeInfo.
  const budget = createRestBudget({ clock: systemClock });
  const universe = createSymbolUniverse({ config, clock: systemClock, budget, emit: onEvent, warn: (message) => log.warn(message) });
  const start = await universe.initial();
  if (start.unchecked) {
    const warning = await checkSymbols(config.restUrl, config.market, config.symbols, config.intervals[0]!, budget);
    if (warning) log.warn(warning);
  }
  if (config.symbolSelection.all) log.info(`--symbol all: ${start.trading.length} TRADING symbols${config.symbolSelection.quote ? ` quoted in ${config.symbolSelection.quote.join(",")}` : ""}, ${start.trading.length * config.intervals.length} streams`);

  let heartbeat: Heartbeat | undefined;
  let replication: RunReplication | undefined;
  const supervisor = createSupervisor({
    config,
    version: options.version,
    symbols: start.trading,
    budget,
    onEvent,
    onChange: () => heartbeat?.touch(),
    onSilentStream: () => universe.refreshSoon(),
    onDurable:
      config.db || config.listen
        ? (stream, openTime) => {
            replication?.durable(stream, openTime);
            monitor.durable(stream, openTime);
          }
        : undefined,
    onCloseReceived: monitor.onCloseReceived,
  });
  refuseSharedStateFile(config.stateFile);
  try {
    checkWritable(config.stateFile);
  } catch (err) {
    throw new UserError(`cannot write the state file ${config.stateFile}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}; choose another --state`);
  }
  supervisor.start(); // UserError: bad CSV, live lock, unwritable --out
  for (const { symbol, status } of start.halted) supervisor.retireSymbol(symbol, status);
  if (start.follow) universe.start(supervisor);
  if (config.db) {
    replication = startRunReplication({ db: config.db, market: config.market, clock: systemClock, emit: onEvent, streams: () => supervisor.streams });
    replication.followStreams(supervisor.streams);
    log.info(`replicating the CSVs to table ${config.db.table} on ${config.db.target.label}`);
  }
  const buildState = () => (replication ? { ...supervisor.state(), replication: replicationState(replication.replicator.snapshot()) } : supervisor.state());
  monitor.attach({ supervisor, state: buildState, replication: () => replication?.replicator.snapshot() });
  heartbeat = createHeartbeat({
    path: config.stateFile,
    clock: { now: Date.now, setTimeout: (fn, ms) => { const h = setTimeout(fn, ms); return () => clearTimeout(h); } },
    intervalMs: config.heartbeatIntervalMs,
    touchDelayMs: stateTouchDelayMs(supervisor.streams.length),
    build: buildState,
    onError: (message) => log.error(message),
    onRecovered: () => log.success("state file writes recovered"),
  });
  const where = config.market === "spot" && !config.testnet ? "" : `${config.market}${config.testnet ? " test network" : ""} (${config.restUrl}): `;
  log.info(`${where}CSV in ${config.outDir}, state in ${config.stateFile}; stop with Ctrl-C${process.stdin.isTTY ? ", q or F10" : ""}`);
  const stopProgress = reportBackfillProgress(() => supervisor.budget.snapshot(), systemClock, (line) => log.info(line));

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const view = createDashboardView();
    const dashboard = options.dashboard && process.stdout.isTTY ? showDashboard(supervisor, options, view, () => replication?.replicator.snapshot()) : undefined;
    const keys =
      options.keys === false
        ? { stop() {} }
        : createKeyReader({
            onKey(key) {
              if (key === "q" || key === "f10" || key === "ctrl-c") stop(`${key} pressed`);
              else if (key === "d") {
                log.warn("d pressed: dropping the connection (the backfill will repair it)");
                supervisor.dropConnection();
              } else if (key === "r") {
                log.info("r pressed: proactive restart now");
                supervisor.restartNow();
              } else if (view.onKey(key)) dashboard?.redraw();
            },
          });
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        options.forceExit(1);
        return;
      }
      stop(signal);
    };
    const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of signals) process.on(s, onSignal);
    // A bug in a side path (an alert, a redraw) must not end months of recording: it is
    // logged with its stack, and the recorder, whose every write is whole, goes on.
    const onBug = (err: unknown) => log.error("unexpected error (a bug; the recorder goes on):", err);
    process.on("uncaughtException", onBug);
    process.on("unhandledRejection", onBug);

    function stop(reason: string): void {
      if (stopping) return;
      stopping = true;
      log.info(`stopping (${reason})`);
      const deadline = setTimeout(() => {
        log.error(`graceful stop took longer than ${STOP_DEADLINE_MS / 1000}s; exiting`);
        options.forceExit(1);
      }, STOP_DEADLINE_MS);
      keys.stop();
      universe.stop();
      stopProgress();
      supervisor.stop(reason);
      dashboard?.stop();
      Promise.all([drainReplication(replication, log), Promise.resolve(options.beforeExit?.()).catch(() => {})])
        .then(() => heartbeat?.stop())
        .catch(() => {})
        .finally(() => {
          clearTimeout(deadline);
          resolveExit(0);
        });
    }
  });
}

// --- internal ---

/** The graceful stop sends what the CSVs hold that the database lacks, within DRAIN_BUDGET_MS. */
async function drainReplication(replication: RunReplication | undefined, log: ConsolaInstance): Promise<void> {
  if (!replication) return;
  const left = await replication.replicator.drain(Date.now() + DRAIN_BUDGET_MS);
  if (left === 0) log.info("replication: every row of the CSVs is in the database");
  else log.warn(`replication: ${left} row${left === 1 ? "" : "s"} not yet in the database stay in the CSVs; the next start sends them`);
  await replication.replicator.close();
}

/** The dashboard on the alternate screen; log lines go to its tail meanwhile. */
function showDashboard(supervisor: Supervisor, options: RunRecorderOptions, view: DashboardView, replication: () => ReplicationSnapshot | undefined): Dashboard {
  const tail = createLogTail();
  const previousSink = setLogSink(tail.sink);
  const utf8 = detectUtf8();
  const colour = !process.env.NO_COLOR;
  const host = hostname();
  const dashboard = startDashboard({
    view,
    getSnapshot: () =>
      dashboardSnapshot({
        version: options.version,
        host,
        now: Date.now(),
        staleAfterMs: options.config.staleAfterMs,
        counters: supervisor.counters,
        streams: supervisor.streams,
        connections: supervisor.pool(),
        rest: supervisor.budget.snapshot(),
        replication: replication(),
        log: tail.entries(),
        alerts: options.alertStats?.() ?? { sent: 0, queued: 0, failed: 0 },
        utf8,
        colour,
      }),
  });
  return {
    redraw: () => dashboard.redraw(),
    stop() {
      dashboard.stop();
      setLogSink(previousSink);
      // The alternate screen is gone: leave the last events on the normal one.
      for (const entry of tail.entries().slice(-8)) {
        const level = entry.level === "warn" ? "WARN" : entry.level === "error" ? "ERROR" : "INFO";
        previousSink(formatLogLine({ at: entry.at, level, message: entry.message }), { at: entry.at, level, message: entry.message });
      }
    },
  };
}

/** Two recorders writing one state file would hide each other: the second is refused. */
function refuseSharedStateFile(path: string): void {
  if (!existsSync(path)) return;
  let state: ReturnType<typeof readState>;
  try {
    state = readState(path);
  } catch {
    return; // unreadable: ours to replace
  }
  const { pid, hostname: host, status } = state;
  if (typeof pid !== "number" || pid === process.pid || status === "stopped" || host !== hostname() || !isRunning(pid)) return;
  throw new UserError(`the state file ${path} belongs to the recorder running as pid ${pid}; give this one its own --state`);
}
