import { expect, test } from "bun:test";
import { dashboardSnapshot, type RecorderView } from "../../src/dashboard/from-recorder.ts";
import type { ReplicationSnapshot } from "../../src/db/replication-lag.ts";
import type { RestBudgetSnapshot } from "../../src/exchange/rest-budget.ts";
import type { RecorderCounters, StreamStats } from "../../src/supervisor/recorder-state.ts";
import { NOW } from "./fixtures.ts";

const COUNTERS: RecorderCounters = {
  startedAt: NOW - 60_000,
  status: "connected",
  lastMessageAt: NOW - 1_000,
  connectedSince: NOW - 50_000,
  reconnects: 0,
  reactiveReconnects: 0,
  proactiveRestarts: 0,
  staleDetections: 0,
  restCalls: 0,
  malformed: 0,
  attempt: 0,
  nextRetryAt: undefined,
  nextRestartAt: undefined,
  stopReason: undefined,
  error: undefined,
};

function stats(symbol: string, overrides: Partial<StreamStats> = {}): StreamStats {
  return {
    key: `${symbol}@1m`,
    symbol,
    interval: "1m",
    csv: `/tmp/${symbol}.csv`,
    lastCandle: NOW - 120_000,
    candlesWritten: 1,
    backfilled: 0,
    exchangeGaps: 0,
    exchangeGapTimes: [],
    livePrice: "1.0",
    previousPrice: undefined,
    liveAt: NOW,
    recent: [],
    csvBytes: 10,
    lastSyncAt: undefined,
    conflicts: [],
    retiredAt: undefined,
    backfilling: false,
    held: 0,
    ...overrides,
  };
}

function view(overrides: Partial<RecorderView> = {}): RecorderView {
  return {
    version: "0.1.0",
    host: "rec-01",
    now: NOW,
    staleAfterMs: 60_000,
    counters: COUNTERS,
    streams: [stats("AAAUSDT"), stats("BBBUSDT", { retiredAt: NOW - 5_000 }), stats("CCCUSDT", { backfilling: true, held: 3 })],
    log: [],
    alerts: { sent: 0, queued: 0, failed: 0 },
    utf8: true,
    colour: false,
    ...overrides,
  };
}

test("passes each stream's retirement, backfill and held candles on", () => {
  const s = dashboardSnapshot(view());
  expect(s.streams.map((st) => [st.retiredAt, st.backfilling, st.held])).toEqual([
    [null, false, 0],
    [NOW - 5_000, false, 0],
    [null, true, 3],
  ]);
});

test("passes the pool's connections and the REST budget on, and leaves them out when absent", () => {
  const rest: RestBudgetSnapshot = { limitPerMinute: 6000, capPerMinute: 4800, usedThisMinute: 10, peakPerMinute: 20, queued: 0, inFlight: 0, granted: 5, pausedUntil: undefined, rateLimited: 0, banned: 0 };
  const s = dashboardSnapshot(view({ connections: { open: 2, total: 3 }, rest }));
  expect(s.connections).toEqual({ open: 2, total: 3 });
  expect(s.rest).toBe(rest);
  const bare = dashboardSnapshot(view());
  expect("connections" in bare).toBe(false);
  expect("rest" in bare).toBe(false);
});

test("passes the replication figures on, and leaves them out without --db", () => {
  const replication: ReplicationSnapshot = { target: "127.0.0.1:5432/test", table: "candles", state: "live", pendingRows: 0, lagMs: 0, replicatedRows: 5, insertedRows: 5, conflicts: 0, rejectedRows: 0, lastSuccessAt: NOW, error: undefined, downSince: undefined };
  expect(dashboardSnapshot(view({ replication })).replication).toBe(replication);
  expect("replication" in dashboardSnapshot(view())).toBe(false);
  expect("replication" in dashboardSnapshot(view({ replication: undefined }))).toBe(false);
});

test("selects the first stream when no index is given, and wraps a given one", () => {
  expect(dashboardSnapshot(view()).selected).toBe(0);
  expect(dashboardSnapshot(view({ selected: 4 })).selected).toBe(1);
});
