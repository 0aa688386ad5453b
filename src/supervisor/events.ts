import type { Candle } from "../candles/candle.ts";
import type { ConflictRecord } from "../candles/conflict-log.ts";

/**
 * What the recorder tells the outside world (logs, Slack, the dashboard). Each event
 * is plain data; times are epoch ms.
 */
export type RecorderEvent =
  | { type: "started"; streams: string[] }
  | { type: "stopped"; reason: string }
  | { type: "connected"; url: string; attempt: number }
  | { type: "disconnected"; code: number; reason: string; upMs: number; stale: boolean }
  | { type: "connect_failed"; attempt: number; error: string; retryInMs: number }
  | { type: "rest_retry"; symbol: string; interval: string; attempt: number; error: string; retryInMs: number }
  | { type: "stream_dead"; silentMs: number }
  | { type: "proactive_restart"; boundary: number }
  | { type: "proactive_restart_abandoned"; boundary: number; reason: string }
  | { type: "server_shutdown" }
  | { type: "reconnecting_long"; sinceMs: number; attempts: number }
  | { type: "backfill_repaired"; symbol: string; interval: string; candles: Candle[] }
  | { type: "exchange_gap"; symbol: string; interval: string; openTimes: number[] }
  | { type: "unrepaired_hole"; symbol: string; interval: string; from: number; to: number }
  | { type: "row_conflict"; symbol: string; interval: string; record: ConflictRecord; earlierDiffers: boolean; conflictLog: string }
  | { type: "csv_write_failing"; symbol: string; interval: string; error: string }
  | { type: "csv_write_recovered"; symbol: string; interval: string }
  | { type: "malformed_message"; reason: string; count: number }
  | { type: "warning"; message: string };
