import type { Health } from "../state/health.ts";
import { parseStateTime } from "../state/health.ts";
import type { RecorderState, ReplicationState } from "../state/state-file.ts";
import { formatDuration } from "../time/duration.ts";
import { isInterval, nextOpenTime } from "../time/intervals.ts";
import type { PaneInfo } from "../tmux/sessions.ts";

/** What `resilience status` knows: the state file, its judgement, and the tmux session. */
export interface StatusView {
  now: number;
  statePath: string;
  state: Partial<RecorderState>;
  health: Health;
  /** False when the state was written on another host, so its pid could not be checked. */
  pidChecked: boolean;
  /** Present with `--name`. */
  session?: SessionView;
}

export interface SessionView {
  name: string;
  exists: boolean;
  /** Made by `resilience start`. */
  ours: boolean;
  recorder: PaneInfo | undefined;
}

/** The human report, one fact per line, times in UTC. */
export function renderStatus(view: StatusView): string[] {
  const { state, health, now } = view;
  const ago = (value: unknown) => _ago(now, value);
  const pid = state.pid === undefined ? "no pid" : `pid ${state.pid}${state.hostname ? ` on ${state.hostname}` : ""}${view.pidChecked ? "" : " (another host: not checked)"}`;
  const lines = [
    _row("recorder", `${health.running ? "running" : "not running"}, ${pid}, status ${state.status ?? "unknown"}${state.error ? ` (${state.error})` : ""}`),
    _row("state file", view.statePath),
    _row("heartbeat", ago(state.updated_at ?? state.timestamp)),
  ];
  if ("last_message_at" in state) lines.push(_row("last message", ago(state.last_message_at)));
  if ("connected_since" in state) lines.push(_row("connected", state.connected_since ? `for ${_since(now, state.connected_since)}` : "no"));
  lines.push(_row("reconnects", `${state.reconnects ?? state.websocket_reconnects ?? 0}${state.proactive_restarts !== undefined ? `, proactive restarts ${state.proactive_restarts}` : ""}`));
  if ("next_restart_at" in state) lines.push(_row("next restart", _until(now, state.next_restart_at)));
  if (state.backfilled !== undefined || state.exchange_gaps !== undefined) {
    lines.push(_row("backfilled", `${state.backfilled ?? 0} candles, exchange gaps ${state.exchange_gaps ?? 0}`));
  }
  if (state.connections) lines.push(_row("connections", `${state.connections.open} of ${state.connections.total} open, ${state.connections.recent_attempts} attempts in the last 5 min`));
  if (state.rest) {
    const r = state.rest;
    const paused = r.paused_until ? `, paused until ${r.paused_until}` : "";
    lines.push(_row("REST", `${r.used_this_minute}/${r.cap_per_minute} weight this minute (limit ${r.limit_per_minute}, peak ${r.peak_per_minute}), ${r.queued} queued, ${r.in_flight} in flight${paused}, 429s ${r.rate_limited}, 418s ${r.banned}`));
  }
  if (state.replication && typeof state.replication === "object") lines.push(_row("database", _replication(state.replication)));
  const streams = Object.entries(state.streams ?? {});
  if (streams.length > 0) {
    // Hundreds of streams: a summary, then only the ones worth a look.
    const many = streams.length > STREAMS_LISTED;
    const retired = streams.filter(([, s]) => s.retired).length;
    const backfilling = streams.filter(([, s]) => !s.retired && s.backfilling).length;
    lines.push(many ? `streams      ${streams.length}: ${streams.length - retired - backfilling} recording, ${backfilling} backfilling, ${retired} retired (each: status --json)` : "streams");
    for (const [key, s] of streams) {
      if (many && !s.retired && !s.backfilling && (s.conflicts ?? []).length === 0 && !health.problems.some((p) => p.startsWith(`${s.symbol} ${s.interval}`))) continue;
      const name = s.symbol && s.interval ? `${s.symbol} ${s.interval}` : key;
      const candle = s.last_candle ? `last candle ${s.last_candle} (${_closed(now, s.last_candle, s.interval)})` : "no candle yet";
      const what = s.retired ? `retired ${s.retired} (stopped trading), ${candle}` : `${candle}${s.backfilling ? `, backfilling (${s.held ?? 0} held)` : ""}`;
      lines.push(`  ${name.padEnd(16)} ${what}, ${s.candles_written ?? 0} written  ${s.csv ?? ""}`.trimEnd());
      for (const c of s.conflicts ?? []) lines.push(`    conflict: last row ${c.open_time} ${c.action} (the exchange disagreed: ${c.fields.join(", ")}); old row kept in ${s.csv ?? "the CSV"}.conflicts.jsonl`);
    }
  } else if (state.last_candle_time !== undefined) {
    lines.push(_row("last candle", state.last_candle_time ? `${state.last_candle_time} (${_closed(now, state.last_candle_time, undefined)})` : "none yet"));
    lines.push(_row("candles", String(state.candles_received ?? 0)));
  }
  if (view.session) lines.push(_row("tmux", _session(view.session)));
  if (health.problems.length === 0) lines.push(_row("health", "ok"));
  else lines.push(_row("health", "PROBLEM"), ...health.problems.map((p) => `  - ${p}`));
  return lines;
}

/** `--json`: the state file's fields plus the judgement (and the session, with --name). */
export function statusJson(view: StatusView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...view.state,
    state_file: view.statePath,
    running: view.health.running,
    healthy: view.health.healthy,
    verdict: view.health.verdict,
    problems: view.health.problems,
  };
  if (view.session) {
    const r = view.session.recorder;
    out.session = { name: view.session.name, exists: view.session.exists, ours: view.session.ours, recorder: r ? { pane: r.id, pid: r.pid, dead: r.dead, exit_status: r.exitStatus } : null };
  }
  return out;
}

/** Problems the tmux session adds to the state file's judgement (pure). */
export function sessionProblems(session: SessionView): string[] {
  if (!session.exists) return [`there is no tmux session named ${session.name}`];
  if (session.recorder?.dead) return [`the recorder in tmux session ${session.name} exited${session.recorder.exitStatus !== null ? ` with status ${session.recorder.exitStatus}` : ""}; its pane is kept: resilience logs --name ${session.name}`];
  return [];
}

// --- internal ---

/** With more streams than this, `status` lists only those worth a look. */
const STREAMS_LISTED = 20;

function _row(label: string, value: string): string {
  return `${label.padEnd(13)}${value}`;
}

function _agoMs(ms: number): string {
  return ms < 0 ? `in ${formatDuration(Math.floor(-ms / 1000) * 1000)}` : `${formatDuration(Math.floor(ms / 1000) * 1000)} ago`;
}

function _ago(now: number, value: unknown): string {
  const t = parseStateTime(value);
  return t === undefined ? "never" : `${_agoMs(now - t)} (${new Date(t).toISOString()})`;
}

/** "closed 20s ago" when the interval is known, else "opened 1m20s ago". */
function _closed(now: number, open: string, interval: string | undefined): string {
  const t = parseStateTime(open);
  if (t === undefined) return "unreadable time";
  if (interval && isInterval(interval)) return `closed ${_agoMs(now - nextOpenTime(interval, t))}`;
  return `opened ${_agoMs(now - t)}`;
}

function _since(now: number, value: unknown): string {
  const t = parseStateTime(value);
  return t === undefined ? "?" : `${formatDuration(Math.max(0, Math.floor((now - t) / 1000)) * 1000)} (since ${new Date(t).toISOString()})`;
}

function _until(now: number, value: unknown): string {
  const t = parseStateTime(value);
  return t === undefined ? "none scheduled" : `${_agoMs(now - t)} (${new Date(t).toISOString()})`;
}

/** `host:5432/db table candles: live, 0 rows pending (lag 0s), 1,234 replicated, 0 conflicts`, or UNREACHABLE since …. */
function _replication(r: Partial<ReplicationState>): string {
  const pending = `${_count(r.pending_rows, "row")} pending (lag ${formatDuration(Math.max(0, r.lag_seconds ?? 0) * 1000)})`;
  if (r.state === "unreachable") {
    const since = r.down_since ? ` since ${r.down_since}` : "";
    return `${r.target ?? "?"}: UNREACHABLE${since}${r.error ? ` (${r.error})` : ""}, ${pending}`;
  }
  const rejected = r.rejected_rows ? `, ${_count(r.rejected_rows, "row")} rejected by the database` : "";
  const state = (r.state ?? "unknown").replace("_", " ");
  return `${r.target ?? "?"} table ${r.table ?? "?"}: ${state}, ${pending}, ${(r.replicated_rows ?? 0).toLocaleString("en-US")} replicated, ${_count(r.conflicts, "conflict")}${rejected}`;
}

/** `1 row`, `1,234 rows`. */
function _count(n: number | undefined, noun: string): string {
  const value = n ?? 0;
  return `${value.toLocaleString("en-US")} ${noun}${value === 1 ? "" : "s"}`;
}

function _session(s: SessionView): string {
  if (!s.exists) return `no session named ${s.name}`;
  if (!s.ours) return `session ${s.name} exists (not made by resilience start)`;
  const r = s.recorder;
  if (!r) return `session ${s.name}: recorder pane gone`;
  return r.dead ? `session ${s.name}: recorder exited${r.exitStatus !== null ? ` with status ${r.exitStatus}` : ""} (pane ${r.id} kept)` : `session ${s.name}: recorder pane ${r.id}, pid ${r.pid}`;
}
