import type { ReplicationState } from "../state/state-file.ts";
import type { CsvPosition } from "./csv-batch.ts";
import type { StreamKey } from "./candle-rows.ts";
import type { coverageCursor } from "./db-coverage.ts";

/** A stream the replicator follows (its working state; plain data). */
export interface FollowedStream {
  stream: string;
  key: StreamKey;
  csv: string;
  intervalMs: number;
  /** Where the rows already in the database end. */
  position: CsvPosition;
  /** Rows opening at or before this are on disk (Infinity while draining); undefined = none yet. */
  through: number | undefined;
  /** Every row opening at or before this has been read and sent. */
  readTo: number | undefined;
  /** Still in the first pass over the file, which skips what the table holds. */
  scanning: boolean;
  coverage: ReturnType<typeof coverageCursor> | undefined;
  /** Since when rows on disk wait for the database; undefined = none wait. */
  pendingSince: number | undefined;
  /** Lines that are not candles. */
  rejected: number;
}

/** What the state file, `status` and the dashboard show of replication. */
export interface ReplicationSnapshot {
  /** `host:port/dbname`: never the URL. */
  target: string;
  table: string;
  state: "connecting" | "catching_up" | "live" | "unreachable";
  /** Rows on disk not yet in the database (an estimate while the first pass reads old files). */
  pendingRows: number;
  /** How long the oldest of them has waited, ms (0 when none wait). */
  lagMs: number;
  /** Rows sent this run (inserted, already there, or conflicting). */
  replicatedRows: number;
  insertedRows: number;
  conflicts: number;
  rejectedRows: number;
  lastSuccessAt: number | undefined;
  /** Why the database cannot be used, while it cannot. */
  error: string | undefined;
  downSince: number | undefined;
}

export interface SnapshotInput {
  target: string;
  table: string;
  streams: Iterable<FollowedStream>;
  now: number;
  down: { since: number; error: string } | undefined;
  lastSuccessAt: number | undefined;
  totals: { replicated: number; inserted: number; conflicts: number; rejected: number };
  schemaReady: boolean;
}

/** The replication figures (pure). */
export function replicationSnapshot(input: SnapshotInput): ReplicationSnapshot {
  let pendingRows = 0;
  let oldest: number | undefined;
  let scanning = false;
  for (const s of input.streams) {
    if (s.scanning) scanning = true;
    if (s.pendingSince === undefined) continue;
    oldest = oldest === undefined ? s.pendingSince : Math.min(oldest, s.pendingSince);
    pendingRows += pendingOf(s);
  }
  const state = input.down ? "unreachable" : !input.schemaReady ? "connecting" : scanning ? "catching_up" : "live";
  return {
    target: input.target,
    table: input.table,
    state,
    pendingRows,
    lagMs: oldest === undefined ? 0 : Math.max(0, input.now - oldest),
    replicatedRows: input.totals.replicated,
    insertedRows: input.totals.inserted,
    conflicts: input.totals.conflicts,
    rejectedRows: input.totals.rejected,
    lastSuccessAt: input.lastSuccessAt,
    error: input.down?.error,
    downSince: input.down?.since,
  };
}

// --- internal ---

/** Rows between the last one in the database and the durable frontier (at least 1 while any wait). */
function pendingOf(s: FollowedStream): number {
  const last = s.position.lastOpenTime;
  if (s.through === undefined || !Number.isFinite(s.through) || last === undefined) return 1;
  return Math.max(1, Math.round((s.through - last) / s.intervalMs));
}

/** The snapshot as the state file spells it (pure). */
export function replicationState(s: ReplicationSnapshot): ReplicationState {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  return {
    target: s.target,
    table: s.table,
    state: s.state,
    pending_rows: s.pendingRows,
    lag_seconds: Math.floor(s.lagMs / 1000),
    replicated_rows: s.replicatedRows,
    inserted_rows: s.insertedRows,
    conflicts: s.conflicts,
    rejected_rows: s.rejectedRows,
    last_success_at: iso(s.lastSuccessAt),
    error: s.error ?? null,
    down_since: iso(s.downSince),
  };
}
