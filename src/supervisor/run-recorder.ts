import type { ConsolaInstance } from "consola";
import type { ResolvedConfig } from "../config/load.ts";
import { checkSymbols } from "../exchange/check-symbols.ts";
import { createHeartbeat, type Heartbeat } from "../state/heartbeat.ts";
import { createKeyReader } from "../terminal/key-reader.ts";
import { logRecorderEvent } from "./event-log.ts";
import type { RecorderEvent } from "./events.ts";
import { createSupervisor, type Supervisor } from "./supervisor.ts";

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
  /** Started once the supervisor runs; returns a stop function (the dashboard). */
  attach?: (supervisor: Supervisor) => (() => void) | undefined;
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
  const warning = await checkSymbols(config.restUrl, config.symbols, config.intervals[0]!);
  if (warning) log.warn(warning);

  let heartbeat: Heartbeat | undefined;
  const supervisor = createSupervisor({
    config,
    version: options.version,
    onEvent(event) {
      logRecorderEvent(log, event);
      options.onEvent?.(event);
    },
    onChange: () => heartbeat?.touch(),
  });
  supervisor.start(); // UserError: bad CSV, live lock, unwritable --out
  heartbeat = createHeartbeat({
    path: config.stateFile,
    clock: { now: Date.now, setTimeout: (fn, ms) => { const h = setTimeout(fn, ms); return () => clearTimeout(h); } },
    intervalMs: config.heartbeatIntervalMs,
    build: () => supervisor.state(),
    onError: (message) => log.error(message),
    onRecovered: () => log.success("state file writes recovered"),
  });
  log.info(`CSV in ${config.outDir}, state in ${config.stateFile}; stop with Ctrl-C${process.stdin.isTTY ? ", q or F10" : ""}`);

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const detach = options.attach?.(supervisor);
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
              }
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

    function stop(reason: string): void {
      if (stopping) return;
      stopping = true;
      log.info(`stopping (${reason})`);
      const deadline = setTimeout(() => {
        log.error(`graceful stop took longer than ${STOP_DEADLINE_MS / 1000}s; exiting`);
        options.forceExit(1);
      }, STOP_DEADLINE_MS);
      keys.stop();
      detach?.();
      supervisor.stop(reason);
      heartbeat?.stop();
      Promise.resolve(options.beforeExit?.())
        .catch(() => {})
        .finally(() => {
          clearTimeout(deadline);
          resolveExit(0);
        });
    }
  });
}
