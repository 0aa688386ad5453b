import type { Subprocess } from "bun";
import { closeSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { ensureBinary } from "../../tests/helpers/binary.ts";

export { BINARY, ensureBinary } from "../../tests/helpers/binary.ts";

export interface RecorderSpawnOptions {
  symbols: string[];
  interval: string;
  wsUrl: string;
  restUrl: string;
  /** --out */
  out: string;
  /** --state */
  state: string;
  /** Where stdout and stderr go (appended). */
  logPath: string;
  /** Working directory: none of ./resilience.yml or ./config/resilience.yml may be there. @default the log's directory */
  cwd?: string;
  /** @default "0" (off) */
  restartEvery?: string;
  /** @default "30s" */
  staleAfter?: string;
  /** Anything else, e.g. ["--config", path]. */
  extra?: string[];
  env?: Record<string, string>;
  /** Run this instead of the binary, e.g. `bun --cpu-prof src/cli.ts` to profile. */
  command?: string[];
}

/** `dist/resilience run …` as a user starts it, info logs to a file (the suites read them), no dashboard, stdin closed. */
export function spawnRecorder(options: RecorderSpawnOptions): Subprocess<"ignore", number, number> {
  const command = options.command ?? [ensureBinary()];
  const args = [
    "run", "--symbol", options.symbols.join(","), "--interval", options.interval,
    "--restart-every", options.restartEvery ?? "0", "--stale-after", options.staleAfter ?? "30s",
    "--ws-url", options.wsUrl, "--rest-url", options.restUrl, "--out", options.out, "--state", options.state,
    "--no-dashboard", ...(options.extra ?? []),
  ];
  const fd = openSync(options.logPath, "a");
  try {
    return Bun.spawn([...command, ...args], { cwd: options.cwd ?? dirname(options.logPath), stdin: "ignore", stdout: fd, stderr: fd, env: { ...process.env, NO_COLOR: "1", RESILIENCE_LOG_LEVEL: "3", ...options.env } });
  } finally {
    closeSync(fd); // the child has its own copy
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopProcess(proc: Subprocess, graceMs = 12_000): Promise<number> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode ?? 128;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return code;
}
