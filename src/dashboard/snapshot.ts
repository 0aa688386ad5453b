import type { ReplicationSnapshot } from "../db/replication-lag.ts";
import type { RestBudgetSnapshot } from "../exchange/rest-budget.ts";

/**
 * Everything the dashboard shows, as plain data. The recorder builds one on demand
 * (`getSnapshot()` in `startDashboard`); `renderDashboard` turns it into lines.
 * Times are epoch milliseconds; prices and volumes are the exchange's decimal strings.
 */
export interface DashboardSnapshot {
  version: string;
  host: string;
  /** When this recorder process started. */
  startedAt: number;
  /** The time to render for; every age and countdown is measured from it. */
  now: number;
  status: DashboardStatus;
  /** Failed connection attempts in the current outage (shown while reconnecting). */
  reconnectAttempt: number;
  /** When the next connection attempt starts, or null when none is scheduled. */
  nextRetryAt: number | null;
  /** When the current connection opened, or null when not connected. */
  connectedSince: number | null;
  /** When the last WebSocket message (any stream) arrived, or null before the first. */
  lastMessageAt: number | null;
  /** Silence after which the connection counts as stale (`--stale-after`). */
  staleAfterMs: number;
  /** When the next proactive restart happens, or null when none is scheduled. */
  nextRestartAt: number | null;
  /** One entry per (symbol, interval), in a stable order. */
  streams: DashboardStream[];
  /** Index into `streams` of the stream whose candles are shown (the `tab` key moves it); always kept in view. */
  selected: number;
  /** First row of the stream table shown, counted in the table's order (worst first). @default 0 */
  scroll?: number;
  /** WebSocket connections of the pool; absent: not shown. */
  connections?: { open: number; total: number };
  /** The shared REST budget; absent: not shown. */
  rest?: RestBudgetSnapshot;
  /** `--db`: replication into PostgreSQL; absent: not shown. */
  replication?: ReplicationSnapshot;
  counters: DashboardCounters;
  /** The newest log entries, oldest first (`createLogTail` collects them). */
  log: LogEntry[];
  /** The terminal can show UTF-8 (block characters); false gives an ASCII fallback (`detectUtf8`). */
  utf8: boolean;
  /** Use ANSI colours. @default true (set false for NO_COLOR). */
  colour?: boolean;
}

export type DashboardStatus = "starting" | "connected" | "reconnecting" | "stale" | "stopped";

export interface DashboardStream {
  symbol: string;
  interval: string;
  /** Close price of the newest message (the live candle), or null before the first. */
  lastPrice: string | null;
  /** The price before `lastPrice`, for the up/down colour; null when unknown. */
  previousPrice: string | null;
  /** When `lastPrice` arrived. */
  lastUpdateAt: number | null;
  /** Candles written to this stream's CSV by this process. */
  candlesWritten: number;
  /** Open time of the newest closed candle in the CSV, or null. */
  lastClosedOpenTime: number | null;
  /** Candles repaired over REST after a gap. */
  backfilled: number;
  /** Open times the exchange confirmed it does not have. */
  exchangeGaps: number;
  /** The last closed candles, oldest first (a few dozen are plenty). */
  recent: DashboardCandle[];
  /** When the stream was retired (its symbol stopped trading). @default null (recorded) */
  retiredAt?: number | null;
  /** A REST backfill is running for it. @default false */
  backfilling?: boolean;
  /** Stream candles held behind a hole until REST fills it. @default 0 */
  held?: number;
}

export interface DashboardCandle {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export interface DashboardCounters {
  /** Reconnects after the connection failed or went stale. */
  reconnectsReactive: number;
  /** Planned restarts (the time trigger or the `r` key). */
  reconnectsProactive: number;
  staleDetections: number;
  restCalls: number;
  alertsSent: number;
  alertsQueued: number;
  alertsFailed: number;
  /** Bytes appended to the CSVs by this process. */
  csvBytes: number;
  /** When the CSV writer last synced to disk, or null. */
  lastFsyncAt: number | null;
}

export type LogLevel = "debug" | "info" | "success" | "warn" | "error";

export interface LogEntry {
  at: number;
  level: LogLevel;
  message: string;
}
