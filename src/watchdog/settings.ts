import { resolve } from "node:path";
import type { ResolvedConfig } from "../config/load.ts";
import { UserError } from "../errors.ts";
import { parseDuration } from "../time/duration.ts";

export interface WatchdogFlags {
  state?: string;
  maxAge?: string;
  every?: string;
}

export interface WatchdogSettings {
  /** Absolute path of the state file. */
  statePath: string;
  maxAgeMs: number;
  everyMs: number;
}

/**
 * Flags win over the config (`resilience.watchdog.state_file`, `max_heartbeat_age`,
 * `cycle_interval`; defaults: the heartbeat state file, 30 s, 10 s). Relative paths are
 * taken from the current directory, as `run` does.
 */
export function watchdogSettings(flags: WatchdogFlags, config: ResolvedConfig, cwd = process.cwd()): WatchdogSettings {
  const maxAgeMs = flags.maxAge === undefined ? config.watchdog.maxAgeMs : parseDuration(flags.maxAge, "--max-age");
  const everyMs = flags.every === undefined ? config.watchdog.cycleIntervalMs : parseDuration(flags.every, "--every");
  if (maxAgeMs <= 0) throw new UserError("--max-age must be longer than 0 (e.g. 30s)");
  if (everyMs < 100) throw new UserError("--every must be at least 100ms (e.g. 10s)");
  return { statePath: resolve(cwd, flags.state ?? config.watchdog.stateFile), maxAgeMs, everyMs };
}
