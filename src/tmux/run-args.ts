import { resolve } from "node:path";
import { DEFAULT_STATE_PATH } from "../state/state-path.ts";

/**
 * The state file a `resilience run RUN-ARGS` started in `cwd` writes: its `--state`
 * or the default, made absolute. A state file set only in the config file is not seen
 * here; `stop` checks the pid it finds against the pane's process, so a wrong guess
 * never gets a stranger signalled.
 */
export function statePathFromRunArgs(runArgs: readonly string[], cwd: string): string {
  return resolve(cwd, runArgValue(runArgs, "--state") ?? DEFAULT_STATE_PATH);
}

/**
 * The value of option `name` (e.g. `--config`) in `resilience run` arguments:
 * `--name VALUE` or `--name=VALUE`, the last one wins; undefined when absent.
 * Stops at `--`, after which nothing is an option.
 */
export function runArgValue(runArgs: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < runArgs.length; i++) {
    const arg = runArgs[i]!;
    if (arg === "--") break;
    if (arg === name && i + 1 < runArgs.length) value = runArgs[++i];
    else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
  }
  return value || undefined;
}

/**
 * The arguments of the watchdog `start --with-watchdog` runs beside the recorder: the
 * same state file, and the same config file (its Slack channels) when the run names one.
 */
export function watchdogArgs(runArgs: readonly string[], statePath: string): string[] {
  const config = runArgValue(runArgs, "--config");
  return ["--state", statePath, ...(config ? ["--config", config] : [])];
}
