import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import type { ConflictRecord } from "../candles/conflict-log.ts";

export type RecorderStatus = "starting" | "connected" | "reconnecting" | "stopped";

export interface StreamState {
  symbol: string;
  interval: string;
  /** Open time (ISO, ms, UTC) of the newest candle in the CSV, or null. */
  last_candle: string | null;
  candles_written: number;
  backfilled: number;
  exchange_gaps: number;
  /** Open times (ISO) the exchange confirmed it does not have. */
  exchange_gap_times: string[];
  csv: string;
  /** Rows this run took out of the CSV because the exchange disagreed (kept in `<csv>.conflicts.jsonl`). */
  conflicts?: ConflictRecord[];
  /** When the symbol stopped trading and this stream was retired (its CSV closed). */
  retired?: string;
  /** A REST backfill is running, or stream candles wait behind a hole (`held` of them). */
  backfilling?: boolean;
  held?: number;
}

/**
 * The heartbeat state file. Times are ISO 8601 UTC with milliseconds. The kstlib
 * fields (`timestamp`, `websocket_reconnects`, `candles_received`, `last_candle_time`,
 * `error`, `heartbeat_sessions`, `metadata`) are kept so its watchdog can read ours.
 */
export interface RecorderState {
  status: RecorderStatus;
  pid: number;
  hostname: string;
  version: string;
  started_at: string;
  updated_at: string;
  last_message_at: string | null;
  connected_since: string | null;
  streams: Record<string, StreamState>;
  candles_written: number;
  reconnects: number;
  proactive_restarts: number;
  backfilled: number;
  exchange_gaps: number;
  next_restart_at: string | null;
  stop_reason: string | null;
  // kstlib compatibility
  timestamp: string;
  websocket_reconnects: number;
  candles_received: number;
  last_candle_time: string | null;
  error: string | null;
  heartbeat_sessions: number;
  metadata: Record<string, unknown>;
  /** The WebSocket connection pool. */
  connections?: { open: number; total: number; recent_attempts: number };
  /** The REST weight governor: the backfill queue and its progress. */
  rest?: {
    limit_per_minute: number;
    cap_per_minute: number;
    used_this_minute: number;
    peak_per_minute: number;
    queued: number;
    in_flight: number;
    granted: number;
    paused_until: string | null;
    rate_limited: number;
    banned: number;
  };
  /** `--db`: replication of the CSVs into PostgreSQL. */
  replication?: ReplicationState;
}

/** The replication figures in the state file (the URL never: `target` is host:port/dbname). */
export interface ReplicationState {
  target: string;
  table: string;
  state: "connecting" | "catching_up" | "live" | "unreachable";
  pending_rows: number;
  lag_seconds: number;
  replicated_rows: number;
  inserted_rows: number;
  conflicts: number;
  rejected_rows: number;
  last_success_at: string | null;
  error: string | null;
  down_since: string | null;
}

/** Replaces `path` atomically: temp file in the same directory, fsync, rename, fsync dir. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDirectory(dir);
}

/** fsyncs a directory, so a rename in it survives a power cut; best effort. */
export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse a directory fsync; the rename is still atomic.
  }
}

/** Throws (with the system's code) unless a file can be created beside `path`; leaves `path` alone. */
export function checkWritable(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const probe = `${path}.${process.pid}.probe`;
  closeSync(openSync(probe, "w"));
  rmSync(probe, { force: true });
}

export function writeState(path: string, state: RecorderState): void {
  writeFileAtomic(path, JSON.stringify(state, null, 2) + "\n");
}

/**
 * Reads a state file, ours or kstlib's (missing fields stay undefined).
 * An unreadable or malformed file is a UserError naming it.
 */
export function readState(path: string): Partial<RecorderState> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`cannot read state file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}; is the recorder running with --state ${path}?`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
    return value as Partial<RecorderState>;
  } catch {
    throw new UserError(`state file ${path} is not valid JSON; it is written atomically, so another program wrote it`);
  }
}
