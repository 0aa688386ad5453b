import { readFileSync } from "node:fs";
import { sleep, systemClock, type Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import type { TmuxRunner } from "./runner.ts";
import { checkSessionName, sessionTarget } from "./session-name.ts";
import { isRunning, parentPid } from "./process.ts";
import { findSession, settledPane, type PaneInfo } from "./sessions.ts";

/** How long `stop` waits for the recorder's own cleanup before killing it. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export interface StopSessionOptions {
  tmux: TmuxRunner;
  name: string;
  /** @default DEFAULT_STOP_TIMEOUT_MS */
  timeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default 100 */
  pollMs?: number;
  /** Reads the pid from the state file (injectable for tests). @default JSON `pid` of the file */
  readStatePid?: (path: string) => number | undefined;
}

/**
 * - `stopped`: exited by itself after SIGTERM, within the timeout;
 * - `killed`: still running at the timeout, so the session was killed;
 * - `already-exited`: the pane was already dead (a crash kept for inspection).
 */
export type StopOutcome = "stopped" | "killed" | "already-exited";

export interface StopResult {
  outcome: StopOutcome;
  /** The pid signalled (undefined when the recorder had already exited). */
  pid: number | undefined;
  /** Where the pid came from: the state file (checked against the pane) or the pane itself. */
  pidSource: "state-file" | "pane" | undefined;
  /** The recorder's exit status when tmux saw it, else null. */
  exitStatus: number | null;
  waitedMs: number;
}

/**
 * Stops the recorder of a session made by `resilience start`: SIGTERM to its pid, wait
 * for it to exit (its cleanup writes the final state and flushes the CSV), and only then
 * kill the session. The pid comes from the state file named in its run arguments and is
 * used only if it is the pane's process or its child, so a stale state file never gets a
 * stranger signalled.
 */
export async function stopSession(options: StopSessionOptions): Promise<StopResult> {
  const { tmux } = options;
  const name = checkSessionName(options.name);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const session = await findSession(tmux, name);
  if (!session) throw new UserError(`no tmux session named ${name}; 'resilience ls' lists the sessions 'resilience start' made`);
  if (!session.ours || !session.recorder) {
    throw new UserError(`tmux session ${name} was not made by 'resilience start'; stop it yourself with: tmux kill-session -t '=${name}'`);
  }
  const started = clock.now();
  const pane = session.recorder;
  if (pane.dead) {
    const settled = await settledPane(tmux, pane.id, name, clock);
    await _kill(tmux, name);
    return { outcome: "already-exited", pid: undefined, pidSource: undefined, exitStatus: settled?.exitStatus ?? pane.exitStatus, waitedMs: 0 };
  }

  const statePid = session.statePath ? (options.readStatePid ?? _readStatePid)(session.statePath) : undefined;
  const fromState = statePid !== undefined && (statePid === pane.pid || parentPid(statePid) === pane.pid);
  const pid = fromState ? statePid : pane.pid;
  _signal(pid, "SIGTERM");

  const deadline = started + timeoutMs;
  while (isRunning(pid) && clock.now() < deadline) {
    await sleep(clock, options.pollMs ?? 100);
  }
  const exited = !isRunning(pid);
  // The pane's exit status is the recorder's only when the recorder is the pane's process.
  const last: PaneInfo | undefined = exited && pid === pane.pid ? await settledPane(tmux, pane.id, name, clock) : undefined;
  await _kill(tmux, name);
  if (!exited) {
    // kill-session sent SIGHUP; a recorder that ignores even that gets SIGKILL.
    await sleep(clock, 1000);
    if (isRunning(pid)) _signal(pid, "SIGKILL");
  }
  return { outcome: exited ? "stopped" : "killed", pid, pidSource: fromState ? "state-file" : "pane", exitStatus: exited ? (last?.exitStatus ?? null) : null, waitedMs: clock.now() - started };
}

// --- internal ---

function _readStatePid(path: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown }).pid;
    return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function _signal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Exited in the meantime.
  }
}

async function _kill(tmux: TmuxRunner, name: string): Promise<void> {
  const result = await tmux.run(["kill-session", "-t", sessionTarget(name)]);
  if (result.code !== 0 && !/can't find session|no server running/.test(result.stderr)) {
    throw new Error(`tmux kill-session ${name} failed: ${result.stderr.trim()}`);
  }
}
