import type { Candle } from "../candles/candle.ts";
import type { ConflictRecord } from "../candles/conflict-log.ts";
import type { RecorderState, RecorderStatus, StreamState } from "../state/state-file.ts";
import { formatIsoMillis } from "../time/timestamp.ts";
import type { RestBudgetSnapshot } from "../exchange/rest-budget.ts";
import type { PoolStats } from "./connection-pool.ts";

/** The recorder's live counters (read by the heartbeat and the dashboard). */
export interface RecorderCounters {
  startedAt: number;
  status: RecorderStatus;
  lastMessageAt: number | undefined;
  connectedSince: number | undefined;
  /** Every reconnection, proactive ones included. */
  reconnects: number;
  reactiveReconnects: number;
  proactiveRestarts: number;
  staleDetections: number;
  restCalls: number;
  malformed: number;
  /** Connection attempts since the last stable connection. */
  attempt: number;
  nextRetryAt: number | undefined;
  nextRestartAt: number | undefined;
  stopReason: string | undefined;
  /** kstlib's `error`: why we are reconnecting, else undefined. */
  error: string | undefined;
}

export interface StreamStats {
  key: string;
  symbol: string;
  interval: string;
  csv: string;
  /** Open time of the newest row in the CSV. */
  lastCandle: number | undefined;
  candlesWritten: number;
  backfilled: number;
  exchangeGaps: number;
  exchangeGapTimes: number[];
  livePrice: string | undefined;
  previousPrice: string | undefined;
  liveAt: number | undefined;
  recent: Candle[];
  csvBytes: number;
  lastSyncAt: number | undefined;
  /** Rows taken out because the exchange disagreed, this run. */
  conflicts: ConflictRecord[];
  /** When the symbol stopped trading and the stream was retired (CSV closed); undefined while recorded. */
  retiredAt: number | undefined;
  /** A REST backfill is running for this stream. */
  backfilling: boolean;
  /** Stream candles held behind a hole until REST fills it. */
  held: number;
}

export interface BuildStateInput {
  counters: RecorderCounters;
  streams: StreamStats[];
  version: string;
  host: string;
  pid: number;
  now: number;
  /** The REST governor's figures. */
  rest?: RestBudgetSnapshot;
  connections?: PoolStats;
}

/** The heartbeat state file's content (pure). */
export function buildRecorderState(input: BuildStateInput): RecorderState {
  const { counters: c, now } = input;
  const iso = (t: number | undefined) => (t === undefined ? null : formatIsoMillis(t));
  const streams: Record<string, StreamState> = {};
  let newest: number | undefined;
  for (const s of input.streams) {
    streams[s.key] = {
      symbol: s.symbol,
      interval: s.interval,
      last_candle: iso(s.lastCandle),
      candles_written: s.candlesWritten,
      backfilled: s.backfilled,
      exchange_gaps: s.exchangeGaps,
      exchange_gap_times: s.exchangeGapTimes.map((t) => formatIsoMillis(t)),
      csv: s.csv,
      conflicts: s.conflicts,
      ...(s.retiredAt !== undefined ? { retired: formatIsoMillis(s.retiredAt) } : {}),
      ...(s.backfilling || s.held > 0 ? { backfilling: true, held: s.held } : {}),
    };
    if (s.lastCandle !== undefined && (newest === undefined || s.lastCandle > newest)) newest = s.lastCandle;
  }
  const sum = (f: (s: StreamStats) => number) => input.streams.reduce((n, s) => n + f(s), 0);
  const written = sum((s) => s.candlesWritten);
  return {
    status: c.status,
    pid: input.pid,
    hostname: input.host,
    version: input.version,
    started_at: formatIsoMillis(c.startedAt),
    updated_at: formatIsoMillis(now),
    last_message_at: iso(c.lastMessageAt),
    connected_since: iso(c.connectedSince),
    streams,
    candles_written: written,
    reconnects: c.reconnects,
    proactive_restarts: c.proactiveRestarts,
    backfilled: sum((s) => s.backfilled),
    exchange_gaps: sum((s) => s.exchangeGaps),
    next_restart_at: iso(c.nextRestartAt),
    stop_reason: c.stopReason ?? null,
    timestamp: formatIsoMillis(now),
    websocket_reconnects: c.reconnects,
    candles_received: written,
    last_candle_time: iso(newest),
    error: c.status === "reconnecting" ? (c.error ?? "DISCONNECTED") : null,
    heartbeat_sessions: 1,
    metadata: { stale_detections: c.staleDetections, rest_calls: c.restCalls, malformed_messages: c.malformed },
    ...(input.connections ? { connections: { open: input.connections.open, total: input.connections.total, recent_attempts: input.connections.recentAttempts } } : {}),
    ...(input.rest ? { rest: _restState(input.rest) } : {}),
  };
}

// --- internal ---

function _restState(r: RestBudgetSnapshot): NonNullable<RecorderState["rest"]> {
  return {
    limit_per_minute: r.limitPerMinute,
    cap_per_minute: r.capPerMinute,
    used_this_minute: r.usedThisMinute,
    peak_per_minute: r.peakPerMinute,
    queued: r.queued,
    in_flight: r.inFlight,
    granted: r.granted,
    paused_until: r.pausedUntil === undefined ? null : formatIsoMillis(r.pausedUntil),
    rate_limited: r.rateLimited,
    banned: r.banned,
  };
}
