import type { SessionInfo } from "../tmux/sessions.ts";
import type { StopResult } from "../tmux/stop-session.ts";

/** `resilience ls`: one line per session that `resilience start` made. */
export function renderSessionList(sessions: SessionInfo[]): string[] {
  if (sessions.length === 0) return ["no sessions started by resilience start"];
  const rows = sessions.map((s) => [s.name, _recorder(s), s.attached ? "attached" : "detached", new Date(s.createdAt).toISOString().slice(0, 19) + "Z", s.statePath ?? ""]);
  const header = ["NAME", "RECORDER", "CLIENT", "CREATED", "STATE FILE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

/** `resilience ls --json`. */
export function sessionListJson(sessions: SessionInfo[]): Record<string, unknown>[] {
  return sessions.map((s) => ({
    name: s.name,
    created_at: new Date(s.createdAt).toISOString(),
    attached: s.attached,
    windows: s.windows,
    state_file: s.statePath ?? null,
    log_file: s.logPath ?? null,
    run_args: s.runArgs ?? [],
    recorder: s.recorder ? { pane: s.recorder.id, pid: s.recorder.pid, dead: s.recorder.dead, exit_status: s.recorder.exitStatus } : null,
    watchdog: s.watchdog ? { pane: s.watchdog.id, pid: s.watchdog.pid, dead: s.watchdog.dead, exit_status: s.watchdog.exitStatus } : null,
  }));
}

/** What `resilience stop` did, in one line. */
export function renderStopResult(name: string, result: StopResult): string {
  const status = result.exitStatus === null ? "" : ` with status ${result.exitStatus}`;
  const waited = `${(result.waitedMs / 1000).toFixed(1)} s`;
  switch (result.outcome) {
    case "stopped":
      return `stopped ${name}: pid ${result.pid} exited${status} after ${waited}; session closed`;
    case "killed":
      return `killed ${name}: pid ${result.pid} was still running after ${waited}; session killed`;
    case "already-exited":
      return `${name}: the recorder had already exited${status}; session closed`;
  }
}

/** Exit code of `stop`: 0 when the recorder ended by itself with status 0 (or unknown). */
export function stopExitCode(result: StopResult): number {
  if (result.outcome === "killed") return 1;
  return result.exitStatus === null || result.exitStatus === 0 ? 0 : 1;
}

// --- internal ---

function _recorder(s: SessionInfo): string {
  if (!s.recorder) return "gone";
  return s.recorder.dead ? `exited${s.recorder.exitStatus !== null ? ` (${s.recorder.exitStatus})` : ""}` : `running (pid ${s.recorder.pid})`;
}
