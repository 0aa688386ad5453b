import { LAG_ALERT_MS } from "../db/replicator.ts";
import { formatDuration } from "../time/duration.ts";
import { isInterval, nextOpenTime, type Interval } from "../time/intervals.ts";
import type { RecorderState, ReplicationState } from "./state-file.ts";

/** How long a heartbeat may go unwritten before the recorder counts as frozen. */
export const DEFAULT_MAX_AGE_MS = 30_000;

/**
 * The worst thing found, for callers that react differently (the watchdog sends an info
 * message for `stopped` and an alarm for the others). Order of precedence:
 * stopped, dead, stale, late, degraded. `degraded`: the candles are recorded, but
 * `--db` replication lags or the database is down (the CSVs keep every row meanwhile).
 */
export type HealthVerdict = "healthy" | "stopped" | "dead" | "stale" | "late" | "degraded";

export interface HealthOptions {
  /** Epoch ms to judge against. */
  now: number;
  /** Heartbeat age beyond which the recorder counts as frozen. @default DEFAULT_MAX_AGE_MS */
  maxAgeMs: number;
  /** Whether the state file's pid is a running process (the caller checks; this stays pure). */
  pidAlive: boolean;
}

export interface Health {
  /** The pid is alive and the recorder has not written `stopped`. */
  running: boolean;
  /** Running, heartbeat fresh, every stream's last candle recent, and replication (`--db`) keeping up. */
  healthy: boolean;
  verdict: HealthVerdict;
  /** One sentence per problem, empty when healthy. */
  problems: string[];
}

/**
 * Judges a state file, ours or kstlib's (which has `timestamp` instead of `updated_at`
 * and no per-stream section, so only its heartbeat, pid and status are judged).
 * A stopped recorder gets one "stopped" problem, never a stale alarm: its heartbeat
 * is old on purpose. Replication trouble only degrades a running recorder's verdict.
 */
export function judgeHealth(state: Partial<RecorderState>, options: HealthOptions): Health {
  const { now, maxAgeMs, pidAlive } = options;
  const status = typeof state.status === "string" ? state.status : undefined;
  const pid = typeof state.pid === "number" ? state.pid : undefined;

  if (status === "stopped") {
    const at = _time(state.updated_at) ?? _time(state.timestamp);
    const when = at === undefined ? "" : ` ${_ago(now - at)}`;
    const reason = state.stop_reason ? ` (${state.stop_reason})` : "";
    return { running: false, healthy: false, verdict: "stopped", problems: [`the recorder stopped${when}${reason}`] };
  }
  if (!pidAlive) {
    const who = pid === undefined ? "the recorder (the state file names no pid)" : `the recorder (pid ${pid})`;
    const said = status ? `its state file still says "${status}"` : "its state file does not say it stopped";
    return { running: false, healthy: false, verdict: "dead", problems: [`${who} is not running but ${said}: it crashed or was killed`] };
  }

  const problems: string[] = [];
  let verdict: HealthVerdict = "healthy";
  const beat = _time(state.updated_at) ?? _time(state.timestamp);
  if (beat === undefined) {
    problems.push("the state file has no heartbeat time (updated_at or timestamp)");
    verdict = "stale";
  } else if (now - beat > maxAgeMs) {
    const error = state.error ? ` (last error: ${state.error})` : "";
    problems.push(`the heartbeat is ${_seconds(now - beat)} old (limit ${formatDuration(maxAgeMs)}): the recorder is frozen${error}`);
    verdict = "stale";
  }

  // A state written at `beat` describes the streams as of `beat`; judge them then, so a
  // heartbeat a few seconds old does not make a 1s stream look late.
  const asOf = beat !== undefined && beat < now ? beat : now;
  const startedAt = _time(state.started_at);
  for (const [key, stream] of Object.entries(state.streams ?? {})) {
    const late = _lateStream(key, stream, asOf, startedAt);
    if (late) {
      problems.push(late);
      if (verdict === "healthy") verdict = "late";
    }
  }
  const replication = state.replication && typeof state.replication === "object" ? _replicationTrouble(state.replication, asOf) : undefined;
  if (replication) {
    problems.push(replication);
    if (verdict === "healthy") verdict = "degraded";
  }
  return { running: true, healthy: problems.length === 0, verdict, problems };
}

/** Parses an ISO time (ours with ms, kstlib's with µs and `+00:00`); undefined if absent or bad. */
export function parseStateTime(value: unknown): number | undefined {
  return _time(value);
}

// --- internal ---

function _time(value: unknown): number | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function _ago(ms: number): string {
  return ms < 1000 ? "just now" : `${_seconds(ms)} ago`;
}

/** An age to the whole second: `2m`, `1h0m5s`. */
function _seconds(ms: number): string {
  return formatDuration(Math.max(0, Math.floor(ms / 1000)) * 1000);
}

/** A sentence when the stream's last candle closed more than two intervals before `asOf`. */
function _lateStream(key: string, stream: Partial<NonNullable<RecorderState["streams"]>[string]>, asOf: number, startedAt: number | undefined): string | undefined {
  const interval = typeof stream.interval === "string" && isInterval(stream.interval) ? stream.interval : undefined;
  if (!interval) return undefined;
  if (stream.retired) return undefined; // stopped trading: no candle is expected
  const name = stream.symbol ? `${stream.symbol} ${interval}` : key;
  const open = _time(stream.last_candle);
  if (open === undefined) {
    // No candle yet: late once three intervals have passed since the start.
    if (startedAt === undefined || asOf <= _after(interval, startedAt, 3)) return undefined;
    return `${name} has recorded no candle in the ${_seconds(asOf - startedAt)} since the recorder started`;
  }
  const close = nextOpenTime(interval, open);
  if (asOf <= _after(interval, close, 2)) return undefined;
  return `${name}: the last candle (${new Date(open).toISOString()}) closed ${_seconds(asOf - close)} ago, more than two intervals`;
}

/**
 * A sentence when replication is as far behind as the recorder alerts about (LAG_ALERT_MS):
 * the database down that long, or the oldest row waiting for it that long.
 */
function _replicationTrouble(r: Partial<ReplicationState>, asOf: number): string | undefined {
  const db = typeof r.target === "string" ? `the database ${r.target}` : "the database";
  const n = typeof r.pending_rows === "number" ? r.pending_rows : undefined;
  const pending = n === undefined ? "rows wait in the CSVs" : `${n.toLocaleString("en-US")} row${n === 1 ? " waits" : "s wait"} in the CSVs`;
  const downSince = r.state === "unreachable" ? _time(r.down_since) : undefined;
  if (downSince !== undefined && asOf - downSince > LAG_ALERT_MS) {
    const error = r.error ? ` (${r.error})` : "";
    return `${db} has been unreachable for ${_seconds(asOf - downSince)}${error}; ${pending}, recording goes on`;
  }
  const lagMs = typeof r.lag_seconds === "number" ? r.lag_seconds * 1000 : 0;
  if (lagMs > LAG_ALERT_MS) return `replication to ${db} is ${_seconds(lagMs)} behind the CSVs (limit ${formatDuration(LAG_ALERT_MS)}); ${pending}`;
  return undefined;
}

/** `t` moved `n` intervals forward (calendar months for 1M). */
function _after(interval: Interval, t: number, n: number): number {
  let out = t;
  for (let i = 0; i < n; i++) out = nextOpenTime(interval, out);
  return out;
}
