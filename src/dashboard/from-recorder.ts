import type { ReplicationSnapshot } from "../db/replication-lag.ts";
import type { RestBudgetSnapshot } from "../exchange/rest-budget.ts";
import type { RecorderCounters, StreamStats } from "../supervisor/recorder-state.ts";
import type { DashboardSnapshot, LogEntry } from "./snapshot.ts";

export interface RecorderView {
  version: string;
  host: string;
  now: number;
  staleAfterMs: number;
  counters: RecorderCounters;
  streams: StreamStats[];
  /** Index into `streams` of the selected stream, when no `DashboardView` picks it. @default 0 */
  selected?: number;
  /** The connection pool; absent: not shown. */
  connections?: { open: number; total: number };
  /** The shared REST budget; absent: not shown. */
  rest?: RestBudgetSnapshot;
  /** `--db`: the replicator's figures; absent: not shown. */
  replication?: ReplicationSnapshot;
  log: LogEntry[];
  alerts: { sent: number; queued: number; failed: number };
  utf8: boolean;
  colour: boolean;
}

/**
 * The dashboard's snapshot of the recorder (pure; read once per frame, never on the
 * message path). One small object per stream; the recent candles are shared, not copied
 * (the frame is rendered at once), so thousands of streams stay cheap.
 */
export function dashboardSnapshot(view: RecorderView): DashboardSnapshot {
  const c = view.counters;
  const silentMs = c.lastMessageAt === undefined ? 0 : view.now - c.lastMessageAt;
  const status = c.status === "connected" && silentMs >= view.staleAfterMs ? "stale" : c.status;
  return {
    version: view.version,
    host: view.host,
    startedAt: c.startedAt,
    now: view.now,
    status,
    reconnectAttempt: c.attempt,
    nextRetryAt: c.nextRetryAt ?? null,
    connectedSince: c.connectedSince ?? null,
    lastMessageAt: c.lastMessageAt ?? null,
    staleAfterMs: view.staleAfterMs,
    nextRestartAt: c.nextRestartAt ?? null,
    streams: view.streams.map((s) => ({
      symbol: s.symbol,
      interval: s.interval,
      lastPrice: s.livePrice ?? null,
      previousPrice: s.previousPrice ?? null,
      lastUpdateAt: s.liveAt ?? null,
      candlesWritten: s.candlesWritten,
      lastClosedOpenTime: s.lastCandle ?? null,
      backfilled: s.backfilled,
      exchangeGaps: s.exchangeGaps,
      recent: s.recent,
      retiredAt: s.retiredAt ?? null,
      backfilling: s.backfilling,
      held: s.held,
    })),
    selected: view.streams.length === 0 ? 0 : (view.selected ?? 0) % view.streams.length,
    counters: {
      reconnectsReactive: c.reactiveReconnects,
      reconnectsProactive: c.proactiveRestarts,
      staleDetections: c.staleDetections,
      restCalls: c.restCalls,
      alertsSent: view.alerts.sent,
      alertsQueued: view.alerts.queued,
      alertsFailed: view.alerts.failed,
      csvBytes: view.streams.reduce((n, s) => n + s.csvBytes, 0),
      lastFsyncAt: view.streams.reduce<number | null>((t, s) => (s.lastSyncAt !== undefined && (t === null || s.lastSyncAt > t) ? s.lastSyncAt : t), null),
    },
    ...(view.connections ? { connections: view.connections } : {}),
    ...(view.rest ? { rest: view.rest } : {}),
    ...(view.replication ? { replication: view.replication } : {}),
    log: view.log,
    utf8: view.utf8,
    colour: view.colour,
  };
}
