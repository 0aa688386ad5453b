import type { Candle } from "../candles/candle.ts";
import type { ConflictRecord } from "../candles/conflict-log.ts";

/**
 * What the recorder tells the outside world (logs, Slack, the dashboard). Each event
 * is plain data; times are epoch ms.
 */
export type RecorderEvent =
  | { type: "started"; streams: string[] }
  | { type: "stopped"; reason: string }
  | { type: "connected"; url: string; attempt: number; connection?: number }
  | { type: "disconnected"; code: number; reason: string; upMs: number; stale: boolean; connection?: number }
  | { type: "connect_failed"; attempt: number; error: string; retryInMs: number; connection?: number }
  | { type: "rest_retry"; symbol: string; interval: string; attempt: number; error: string; retryInMs: number }
  | { type: "stream_dead"; silentMs: number; connection?: number }
  | { type: "proactive_restart"; boundary: number; connection?: number }
  | { type: "proactive_restart_abandoned"; boundary: number; reason: string; connection?: number }
  | { type: "server_shutdown"; connection?: number }
  | { type: "reconnecting_long"; sinceMs: number; attempts: number; connection?: number }
  | { type: "backfill_repaired"; symbol: string; interval: string; candles: Candle[] }
  | { type: "exchange_gap"; symbol: string; interval: string; openTimes: number[] }
  | { type: "unrepaired_hole"; symbol: string; interval: string; from: number; to: number }
  | { type: "row_conflict"; symbol: string; interval: string; record: ConflictRecord; earlierDiffers: boolean; conflictLog: string }
  | { type: "csv_write_failing"; symbol: string; interval: string; error: string }
  | { type: "csv_write_recovered"; symbol: string; interval: string }
  | { type: "malformed_message"; reason: string; count: number }
  | { type: "stream_silent"; symbol: string; interval: string; silentMs: number; connection: number }
  | { type: "symbol_listed"; symbol: string }
  | { type: "symbol_retired"; symbol: string; status: string }
  | { type: "symbol_resumed"; symbol: string }
  | { type: "symbols_refresh_failed"; error: string }
  /** `refused`: the server answered with an error (permissions, a read-only standby), rather than not at all. */
  | { type: "db_unreachable"; target: string; error: string; retryInMs: number; refused: boolean }
  | { type: "db_recovered"; target: string; downMs: number }
  | { type: "db_conflict"; symbol: string; interval: string; openTime: number; stored: string; offered: string; table: string }
  | { type: "db_row_rejected"; symbol: string; interval: string; openTime: number; error: string }
  | { type: "replication_lagging"; lagMs: number; pendingRows: number }
  | { type: "replication_caught_up" }
  | { type: "warning"; message: string };
