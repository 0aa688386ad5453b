import type { ConsolaInstance } from "consola";
import type { Alerter } from "../alerts/alerter.ts";
import { formatDuration } from "../time/duration.ts";
import { createWatchdog } from "./watchdog.ts";
import type { WatchdogSettings } from "./settings.ts";

export interface RunWatchdogOptions extends WatchdogSettings {
  alerter: Alerter;
  log: ConsolaInstance;
  /** Look once and return status's exit code (cron). */
  once: boolean;
}

/** How long alerts may take to leave at exit. */
const FLUSH_TIMEOUT_MS = 10_000;
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The `watchdog` command's body. `--once`: one look, the problems on stdout, alerts
 * flushed, status's exit code. Otherwise: a look every `everyMs` until SIGINT, SIGTERM or
 * SIGHUP, then alerts flushed and 0.
 */
export async function runWatchdogCommand(options: RunWatchdogOptions): Promise<number> {
  const { alerter, log } = options;
  // With --once the findings go to stdout, like status; the log keeps only errors.
  const watchdog = createWatchdog({ ...options, log: options.once ? log.create({ level: 0 }) : log });
  if (options.once) {
    const result = watchdog.check();
    const problems = result.judgement.kind === "unreadable" ? [result.judgement.problem] : result.judgement.health.problems;
    if (problems.length > 0) console.log(problems.join("\n"));
    await _flush(alerter, log);
    return result.exitCode;
  }

  log.info(
    `watching ${options.statePath} every ${formatDuration(options.everyMs)} (frozen after ${formatDuration(options.maxAgeMs)}); ` +
      (alerter.enabled ? "alerts go to Slack" : "no Slack channel configured: findings are only logged"),
  );
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  try {
    await watchdog.run(stop.signal);
  } finally {
    for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
  }
  log.info("watchdog stopped");
  await _flush(alerter, log);
  return 0;
}

// --- internal ---

async function _flush(alerter: Alerter, log: ConsolaInstance): Promise<void> {
  if (!(await alerter.flush(FLUSH_TIMEOUT_MS))) log.warn(`${alerter.stats().queued} alert(s) could not be sent before exit`);
  alerter.close();
}
