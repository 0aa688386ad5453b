import { sleep, type Clock } from "../clock.ts";
import { isNoServer, type TmuxRunner } from "./runner.ts";
import { sessionPaneTarget, sessionTarget } from "./session-name.ts";

/** tmux user options that mark a session as made by `resilience start` and describe it. */
export const SESSION_OPTIONS = {
  mark: "@resilience",
  state: "@resilience-state",
  args: "@resilience-args",
  log: "@resilience-log",
  pane: "@resilience-pane",
  watchdogPane: "@resilience-watchdog-pane",
} as const;

export interface PaneInfo {
  /** tmux pane id (`%3`): unique for the server's lifetime, so never ambiguous. */
  id: string;
  /** The process tmux started in the pane (the recorder itself: no shell in between). */
  pid: number;
  dead: boolean;
  /** Exit status once dead (remain-on-exit keeps the pane), else null. */
  exitStatus: number | null;
}

export interface SessionInfo {
  name: string;
  /** Made by `resilience start` (carries the user option). */
  ours: boolean;
  createdAt: number;
  attached: boolean;
  windows: number;
  statePath: string | undefined;
  logPath: string | undefined;
  runArgs: string[] | undefined;
  recorder: PaneInfo | undefined;
  watchdog: PaneInfo | undefined;
}

/** The session named exactly `name`, or undefined (also when no tmux server runs). */
export async function findSession(tmux: TmuxRunner, name: string): Promise<SessionInfo | undefined> {
  const has = await tmux.run(["has-session", "-t", sessionTarget(name)]);
  if (has.code !== 0) return undefined;
  const shown = await tmux.run(["display-message", "-p", "-t", sessionPaneTarget(name), "#{session_created}\t#{session_attached}\t#{session_windows}"]);
  if (shown.code !== 0) return undefined; // closed in between
  const [created, attached, windows] = shown.stdout.trim().split("\t");
  const option = (key: string) => _option(tmux, name, key);
  const [mark, statePath, logPath, args, pane, watchdogPane] = await Promise.all(
    [SESSION_OPTIONS.mark, SESSION_OPTIONS.state, SESSION_OPTIONS.log, SESSION_OPTIONS.args, SESSION_OPTIONS.pane, SESSION_OPTIONS.watchdogPane].map(option),
  );
  return {
    name,
    ours: mark === "1",
    createdAt: Number(created) * 1000,
    attached: Number(attached) > 0,
    windows: Number(windows),
    statePath,
    logPath,
    runArgs: _parseArgs(args),
    recorder: pane ? await findPane(tmux, pane, name) : undefined,
    watchdog: watchdogPane ? await findPane(tmux, watchdogPane, name) : undefined,
  };
}

/** The sessions `resilience start` made, by name. */
export async function listSessions(tmux: TmuxRunner): Promise<SessionInfo[]> {
  const result = await tmux.run(["list-sessions", "-F", `#{session_name}\t#{${SESSION_OPTIONS.mark}}`]);
  if (isNoServer(result)) return [];
  if (result.code !== 0) throw new Error(`tmux list-sessions failed: ${result.stderr.trim()}`);
  const names = result.stdout
    .split("\n")
    .map((line) => line.split("\t"))
    .filter(([name, mark]) => name && mark === "1")
    .map(([name]) => name!)
    .sort();
  const sessions = await Promise.all(names.map((name) => findSession(tmux, name)));
  return sessions.filter((s): s is SessionInfo => s !== undefined);
}

/** A pane by id, if it still exists in session `name`. */
export async function findPane(tmux: TmuxRunner, id: string, name: string): Promise<PaneInfo | undefined> {
  const result = await tmux.run(["display-message", "-p", "-t", id, "#{session_name}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}"]);
  if (result.code !== 0) return undefined;
  const [session, pid, dead, status] = result.stdout.trim().split("\t");
  if (session !== name) return undefined;
  return { id, pid: Number(pid), dead: dead === "1", exitStatus: dead === "1" && status !== undefined && /^\d+$/.test(status) ? Number(status) : null };
}

/**
 * The pane once tmux has its exit status. tmux marks a pane dead when its terminal
 * closes, before it reaps the process (tmux/tmux#4841), and with libutempter it can miss
 * the SIGCHLD altogether and leave a zombie (tmux/tmux#311; seen here with Debian's
 * tmux 3.3a). So a dead pane without a status gets the server a SIGCHLD, which makes it
 * reap. Gives up after `ms` with what it has.
 */
export async function settledPane(tmux: TmuxRunner, id: string, name: string, clock: Clock, ms = 1000): Promise<PaneInfo | undefined> {
  const deadline = clock.now() + ms;
  for (;;) {
    const pane = await findPane(tmux, id, name);
    if (!pane || (pane.dead && pane.exitStatus !== null) || clock.now() >= deadline) return pane;
    if (pane.dead) await nudgeServer(tmux);
    await sleep(clock, 50);
  }
}

/** Sends the tmux server a SIGCHLD so that it reaps exited panes (see settledPane). */
export async function nudgeServer(tmux: TmuxRunner): Promise<void> {
  const result = await tmux.run(["display-message", "-p", "#{pid}"]);
  const pid = Number(result.stdout.trim());
  if (result.code !== 0 || !Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGCHLD");
  } catch {
    // Server gone in the meantime.
  }
}

// --- internal ---

/** A session user option's exact value (show-options prints it raw with -v), or undefined. */
async function _option(tmux: TmuxRunner, name: string, key: string): Promise<string | undefined> {
  const result = await tmux.run(["show-options", "-q", "-v", "-t", sessionPaneTarget(name), key]);
  if (result.code !== 0) return undefined;
  const value = result.stdout.replace(/\n$/, "");
  return value.length > 0 ? value : undefined;
}

function _parseArgs(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) && value.every((a) => typeof a === "string") ? value : undefined;
  } catch {
    return undefined;
  }
}
