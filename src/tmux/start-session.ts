import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { sleep, systemClock, type Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import { escapeFormat, isNoServer, type TmuxRunner } from "./runner.ts";
import { checkSessionName } from "./session-name.ts";
import { findPane, findSession, SESSION_OPTIONS, settledPane, type PaneInfo } from "./sessions.ts";

export interface StartSessionOptions {
  tmux: TmuxRunner;
  name: string;
  /** Working directory of the panes (absolute). */
  cwd: string;
  /** The recorder's argv (`resilience run ...`), executed without a shell. */
  command: string[];
  /** The arguments given after `--`, kept in a user option for `status` and `stop`. */
  runArgs: string[];
  /** Absolute state file the recorder writes. */
  statePath: string;
  /** Absolute log file the recorder pane's output is appended to. */
  logPath: string;
  /** A second window's argv (`resilience watchdog ...`), or undefined. */
  watchdogCommand?: string[];
  /** Log file of the watchdog pane. @default `<logPath without .log>-watchdog.log` */
  watchdogLogPath?: string;
  /** How long to watch for a recorder that exits at once. @default 1000 */
  settleMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Environment names to carry into the session when a tmux server already runs. @default ENV_PREFIXES of process.env */
  passEnv?: string[];
}

export interface StartedSession {
  recorder: PaneInfo;
  /** True when the recorder exited within `settleMs` (its pane is kept for inspection). */
  exitedAtOnce: boolean;
}

/**
 * Starts the recorder in a detached tmux session. One tmux call creates the session and,
 * before the server reads any output, marks it, keeps the pane after exit
 * (remain-on-exit) and pipes its output to the log file, so even a crash at start-up
 * is logged and inspectable.
 */
export async function startSession(options: StartSessionOptions): Promise<StartedSession> {
  const { tmux, cwd } = options;
  const name = checkSessionName(options.name);
  const clock = options.clock ?? systemClock;
  if (await findSession(tmux, name)) {
    throw new UserError(`a tmux session named ${name} already exists; see it with 'resilience attach --name ${name}' or choose another --name`);
  }
  const watchdogLog = options.watchdogLogPath ?? options.logPath.replace(/(\.log)?$/, "-watchdog.log");
  for (const file of [options.logPath, watchdogLog]) mkdirSync(dirname(file), { recursive: true });

  const commands: string[][] = [
    ...(await _carryEnv(tmux, options.passEnv ?? _defaultPassEnv())),
    ["new-session", "-d", "-s", name, "-n", "recorder", "-c", escapeFormat(cwd), "--", ...options.command],
    ["set-option", SESSION_OPTIONS.mark, "1"],
    ["set-option", SESSION_OPTIONS.state, options.statePath],
    ["set-option", SESSION_OPTIONS.args, JSON.stringify(options.runArgs)],
    ["set-option", SESSION_OPTIONS.log, options.logPath],
    ..._keepAndLog(options.logPath),
    ["set-option", "-F", SESSION_OPTIONS.pane, "#{pane_id}"],
  ];
  if (options.watchdogCommand) {
    commands.push(
      ["new-window", "-n", "watchdog", "-c", escapeFormat(cwd), "--", ...options.watchdogCommand],
      ..._keepAndLog(watchdogLog),
      ["set-option", "-F", SESSION_OPTIONS.watchdogPane, "#{pane_id}"],
      ["last-window"],
    );
  }
  const result = await tmux.run(...commands);
  if (result.code !== 0) {
    if (/duplicate session/.test(result.stderr)) throw new UserError(`a tmux session named ${name} already exists; choose another --name`);
    throw new Error(`tmux could not start session ${name}: ${result.stderr.trim()}`);
  }

  const paneId = (await findSession(tmux, name))?.recorder?.id;
  if (!paneId) throw new Error(`tmux session ${name} vanished right after it started`);
  const deadline = clock.now() + (options.settleMs ?? 1000);
  for (;;) {
    const pane = await findPane(tmux, paneId, name);
    if (!pane) throw new Error(`the recorder pane of session ${name} vanished right after it started`);
    if (pane.dead) return { recorder: (await settledPane(tmux, paneId, name, clock)) ?? pane, exitedAtOnce: true };
    if (clock.now() >= deadline) return { recorder: pane, exitedAtOnce: false };
    await sleep(clock, 100);
  }
}

/** Variables worth carrying into a session started on an already running tmux server. */
export const ENV_PREFIXES = ["RESILIENCE_", "SOPS_", "XDG_CONFIG_HOME", "NO_COLOR"];

/**
 * The arguments the pane's `resilience run` gets: the user's, with `--no-dashboard` first
 * unless they chose either way. The pane's output is appended to the log file for months;
 * dashboard frames (about 1.4 KB a second) would bury the log lines in it.
 */
export function recorderRunArgs(runArgs: readonly string[]): string[] {
  const end = runArgs.indexOf("--");
  const options = end < 0 ? runArgs : runArgs.slice(0, end);
  return options.some((a) => /^--(no-)?dashboard(=|$)/.test(a)) ? [...runArgs] : ["--no-dashboard", ...runArgs];
}

/** Quotes `text` as one word for /bin/sh. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

// --- internal ---

/** Keep the current pane after it exits and append its output to `logPath`. */
function _keepAndLog(logPath: string): string[][] {
  // pipe-pane takes a shell command; the path is quoted and its `#` escaped for tmux's formats.
  return [
    ["set-option", "-w", "remain-on-exit", "on"],
    ["pipe-pane", escapeFormat(`exec cat >> ${shellQuote(logPath)}`)],
  ];
}

function _defaultPassEnv(): string[] {
  return Object.keys(process.env).filter((key) => ENV_PREFIXES.some((p) => key.startsWith(p)));
}

/**
 * A new server inherits our environment, but a running one gives new sessions its own.
 * `update-environment` copies the named variables from this client into the new
 * session; values never appear on a command line (webhook URLs are secrets).
 */
async function _carryEnv(tmux: TmuxRunner, names: string[]): Promise<string[][]> {
  if (names.length === 0) return [];
  const current = await tmux.run(["show-options", "-g", "-v", "update-environment"]);
  if (isNoServer(current)) return [];
  const known = new Set(current.stdout.split("\n").map((s) => s.trim()));
  return names.filter((n) => !known.has(n)).map((n) => ["set-option", "-g", "-a", "update-environment", n]);
}
