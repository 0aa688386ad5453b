import { describe, expect, test } from "bun:test";
import { DEFAULT_MAX_AGE_MS, judgeHealth, parseStateTime } from "../../src/state/health.ts";
import type { RecorderState, ReplicationState, StreamState } from "../../src/state/state-file.ts";

const NOW = Date.parse("2024-03-01T12:00:20.000Z");
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function stream(interval: string, lastCandle: string | null): StreamState {
  return { symbol: "BTCUSDT", interval, last_candle: lastCandle, candles_written: 10, backfilled: 0, exchange_gaps: 0, exchange_gap_times: [], csv: "data/x.csv" };
}

function ours(overrides: Partial<RecorderState> = {}): Partial<RecorderState> {
  return {
    status: "connected",
    pid: 4242,
    started_at: "2024-03-01T00:00:00.000Z",
    updated_at: iso(-3000),
    timestamp: iso(-3000),
    streams: { "BTCUSDT@1m": stream("1m", "2024-03-01T11:59:00.000Z") },
    ...overrides,
  };
}

/** A state file as kstlib's StateWriter writes it (µs, +00:00, no streams). */
const KSTLIB = {
  timestamp: "2024-03-01T12:00:15.123456+00:00",
  pid: 777,
  heartbeat_sessions: 1,
  websocket_reconnects: 3,
  candles_received: 12,
  last_candle_time: "2024-03-01T11:00:00+00:00",
  status: "connected",
  error: null,
  metadata: {},
} as unknown as Partial<RecorderState>;

const judge = (state: Partial<RecorderState>, pidAlive = true, maxAgeMs = DEFAULT_MAX_AGE_MS) => judgeHealth(state, { now: NOW, maxAgeMs, pidAlive });

describe("judgeHealth", () => {
  test("a running recorder with a fresh heartbeat and a recent candle is healthy", () => {
    expect(judge(ours())).toEqual({ running: true, healthy: true, verdict: "healthy", problems: [] });
  });

  test("a heartbeat older than max age is stale, naming its age and the limit", () => {
    const h = judge(ours({ updated_at: iso(-45_000), streams: {} }));
    expect(h).toMatchObject({ running: true, healthy: false, verdict: "stale" });
    expect(h.problems).toEqual(["the heartbeat is 45s old (limit 30s): the recorder is frozen"]);
  });

  test("max age is the caller's: 45 s is fine with a 1 m limit", () => {
    expect(judge(ours({ updated_at: iso(-45_000), streams: {} }), true, 60_000).healthy).toBe(true);
  });

  test("a gone pid while the status is not stopped is dead", () => {
    const h = judge(ours(), false);
    expect(h).toMatchObject({ running: false, healthy: false, verdict: "dead" });
    expect(h.problems).toEqual(['the recorder (pid 4242) is not running but its state file still says "connected": it crashed or was killed']);
  });

  test("a stopped recorder is one 'stopped' problem with its reason, never a stale alarm", () => {
    const h = judge(ours({ status: "stopped", stop_reason: "SIGTERM", updated_at: iso(-3_600_000) }), false);
    expect(h).toEqual({ running: false, healthy: false, verdict: "stopped", problems: ["the recorder stopped 1h ago (SIGTERM)"] });
  });

  test("stopped wins even if the pid was reused by another process", () => {
    expect(judge(ours({ status: "stopped" }), true).verdict).toBe("stopped");
  });

  test.each([
    // [interval, last candle open, late?] with now = 12:00:20
    ["1m", "2024-03-01T11:59:00.000Z", false], // closed 20 s ago
    ["1m", "2024-03-01T11:58:00.000Z", false], // closed 1m17s before the beat at 12:00:17
    ["1m", "2024-03-01T11:57:00.000Z", true], // closed 2m17s before the beat
    ["1h", "2024-03-01T10:00:00.000Z", false], // closed 1 h ago
    ["1h", "2024-03-01T09:00:00.000Z", true], // closed 2h0m17s before the beat
    ["1M", "2024-01-01T00:00:00.000Z", false], // January closed on Feb 1, two months end on Apr 1
    ["1M", "2023-12-01T00:00:00.000Z", true], // December closed on Jan 1, late after Mar 1
  ] as const)("a %s stream whose last candle opened at %s: late=%p", (interval, open, late) => {
    const h = judge(ours({ streams: { s: stream(interval, open) } }));
    expect(h.verdict).toBe(late ? "late" : "healthy");
    expect(h.running).toBe(true);
    expect(h.problems.length).toBe(late ? 1 : 0);
  });

  test("the late sentence names the stream, the candle and how long ago it closed", () => {
    const h = judge(ours({ streams: { s: stream("1h", "2024-03-01T09:00:00.000Z") } }));
    expect(h.problems).toEqual(["BTCUSDT 1h: the last candle (2024-03-01T09:00:00.000Z) closed 2h17s ago, more than two intervals"]);
  });

  test("streams are judged as of the heartbeat, so a 1s stream is not late because the beat is 3 s old", () => {
    const h = judge(ours({ updated_at: iso(-3000), streams: { s: stream("1s", iso(-5000)) } }));
    expect(h.healthy).toBe(true);
  });

  test("a stream with no candle yet is late only once three intervals have passed since the start", () => {
    const fresh = judge(ours({ started_at: iso(-120_000), streams: { s: stream("1m", null) } }));
    expect(fresh.healthy).toBe(true);
    const old = judge(ours({ started_at: iso(-300_000), streams: { s: stream("1m", null) } }));
    expect(old.problems).toEqual(["BTCUSDT 1m has recorded no candle in the 4m57s since the recorder started"]);
  });

  test("stale and late are both reported; the verdict is stale", () => {
    const h = judge(ours({ updated_at: iso(-600_000), streams: { s: stream("1m", "2024-03-01T11:00:00.000Z") } }));
    expect(h.verdict).toBe("stale");
    expect(h.problems).toHaveLength(2);
  });

  test("a kstlib state file is judged on its timestamp, pid and status", () => {
    expect(judge(KSTLIB)).toEqual({ running: true, healthy: true, verdict: "healthy", problems: [] });
    expect(judgeHealth(KSTLIB, { now: NOW + 60_000, maxAgeMs: 30_000, pidAlive: true }).verdict).toBe("stale");
    expect(judge(KSTLIB, false).verdict).toBe("dead");
    expect(judge({ ...KSTLIB, status: "stopped" }, false).problems).toEqual(["the recorder stopped 4s ago"]);
  });

  test("a state file without any heartbeat time is stale, not healthy", () => {
    const h = judge({ status: "connected", pid: 1 });
    expect(h.verdict).toBe("stale");
    expect(h.problems).toEqual(["the state file has no heartbeat time (updated_at or timestamp)"]);
  });

  test("a state file without a pid is dead when the caller found nothing alive", () => {
    expect(judge({ status: "connected", timestamp: iso(0) }, false).problems[0]).toContain("the state file names no pid");
  });

  test("a heartbeat from the future (clock skew) is not stale", () => {
    expect(judge(ours({ updated_at: iso(5000) })).healthy).toBe(true);
  });
});

describe("judgeHealth with --db replication", () => {
  function replication(overrides: Partial<ReplicationState> = {}): ReplicationState {
    return {
      target: "127.0.0.1:5432/test", table: "candles", state: "live", pending_rows: 0, lag_seconds: 0, replicated_rows: 1234, inserted_rows: 1234,
      conflicts: 0, rejected_rows: 0, last_success_at: iso(-3000), error: null, down_since: null, ...overrides,
    };
  }
  const down = (ms: number, extra: Partial<ReplicationState> = {}) => replication({ state: "unreachable", down_since: iso(-ms), error: "connect ECONNREFUSED 127.0.0.1:5432", pending_rows: 512, lag_seconds: 192, ...extra });

  test("a live replication with no lag is healthy", () => {
    expect(judge(ours({ replication: replication() }))).toEqual({ running: true, healthy: true, verdict: "healthy", problems: [] });
  });

  test.each([
    [300, "healthy"],
    [301, "degraded"],
    [3600, "degraded"],
  ] as const)("a lag of %ps is %s (the recorder alerts past 5 min)", (lag, verdict) => {
    const h = judge(ours({ replication: replication({ state: "catching_up", lag_seconds: lag, pending_rows: 40 }) }));
    expect(h.verdict).toBe(verdict);
    expect(h.running).toBe(true);
    expect(h.healthy).toBe(verdict === "healthy");
  });

  test("the lag sentence names the database, the lag, the limit and the rows waiting", () => {
    const h = judge(ours({ replication: replication({ lag_seconds: 372, pending_rows: 2500 }) }));
    expect(h.problems).toEqual(["replication to the database 127.0.0.1:5432/test is 6m12s behind the CSVs (limit 5m); 2,500 rows wait in the CSVs"]);
  });

  test("a database down for more than 5 min degrades the verdict; down for less does not", () => {
    const h = judge(ours({ replication: down(6 * 60_000) }));
    expect(h).toMatchObject({ running: true, healthy: false, verdict: "degraded" });
    // Judged as of the heartbeat (3 s old), like the streams.
    expect(h.problems).toEqual(["the database 127.0.0.1:5432/test has been unreachable for 5m57s (connect ECONNREFUSED 127.0.0.1:5432); 512 rows wait in the CSVs, recording goes on"]);
    expect(judge(ours({ replication: down(4 * 60_000) })).healthy).toBe(true);
  });

  test("a recorder that cannot replicate is never dead, stale or stopped for it; worse troubles keep their verdict", () => {
    expect(judge(ours({ replication: down(3_600_000) }), false).verdict).toBe("dead");
    const late = judge(ours({ replication: down(3_600_000), streams: { s: stream("1m", "2024-03-01T11:00:00.000Z") } }));
    expect(late.verdict).toBe("late");
    expect(late.problems).toHaveLength(2);
    const stale = judge(ours({ replication: down(3_600_000), updated_at: iso(-120_000) }));
    expect(stale.verdict).toBe("stale");
    expect(stale.problems).toHaveLength(2);
  });

  test("a malformed replication section is not a problem", () => {
    expect(judge(ours({ replication: {} as ReplicationState })).healthy).toBe(true);
    expect(judge(ours({ replication: 5 as unknown as ReplicationState })).healthy).toBe(true);
  });
});

describe("parseStateTime", () => {
  test.each([
    ["2024-03-01T12:00:00.000Z", Date.parse("2024-03-01T12:00:00Z")],
    ["2024-03-01T12:00:00.123456+00:00", Date.parse("2024-03-01T12:00:00.123Z")],
    ["nonsense", undefined],
    [null, undefined],
    [42, undefined],
  ] as const)("%p -> %p", (text, ms) => {
    expect(parseStateTime(text)).toBe(ms);
  });
});
