import { describe, expect, test } from "bun:test";
import { renderStatus, statusJson, type StatusView } from "../../src/render/status.ts";
import { judgeHealth } from "../../src/state/health.ts";
import type { RecorderState, ReplicationState } from "../../src/state/state-file.ts";

const NOW = Date.parse("2024-03-01T12:00:20.000Z");
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function state(replication?: ReplicationState): Partial<RecorderState> {
  return {
    status: "connected", pid: 4242, hostname: "box", started_at: "2024-03-01T00:00:00.000Z", updated_at: iso(-3000),
    streams: { "BTCUSDT@1m": { symbol: "BTCUSDT", interval: "1m", last_candle: "2024-03-01T11:59:00.000Z", candles_written: 720, backfilled: 0, exchange_gaps: 0, exchange_gap_times: [], csv: "data/BTCUSDT-1m.csv" } },
    ...(replication ? { replication } : {}),
  };
}

function replication(overrides: Partial<ReplicationState> = {}): ReplicationState {
  return {
    target: "127.0.0.1:5432/test", table: "candles", state: "live", pending_rows: 0, lag_seconds: 0, replicated_rows: 1234, inserted_rows: 1200,
    conflicts: 0, rejected_rows: 0, last_success_at: iso(-4000), error: null, down_since: null, ...overrides,
  };
}

const UNREACHABLE = replication({ state: "unreachable", pending_rows: 512, lag_seconds: 192, error: "connect ECONNREFUSED 127.0.0.1:5432", down_since: "2024-03-01T11:57:08.000Z" });

function view(s: Partial<RecorderState>): StatusView {
  return { now: NOW, statePath: "state.json", state: s, health: judgeHealth(s, { now: NOW, maxAgeMs: 30_000, pidAlive: true }), pidChecked: true };
}

const databaseLine = (s: Partial<RecorderState>) => renderStatus(view(s)).find((l) => l.startsWith("database"));

describe("status with --db replication", () => {
  test("a live replication is one line: target, table, state, pending rows, lag, replicated and conflicts", () => {
    const lines = renderStatus(view(state(replication())));
    expect(lines).toContain("database     127.0.0.1:5432/test table candles: live, 0 rows pending (lag 0s), 1,234 replicated, 0 conflicts");
    expect(lines.indexOf("database     127.0.0.1:5432/test table candles: live, 0 rows pending (lag 0s), 1,234 replicated, 0 conflicts")).toBe(lines.indexOf("streams") - 1);
    expect(lines.at(-1)).toBe("health       ok");
  });

  test("an unreachable database says since when and why, and what waits", () => {
    expect(databaseLine(state(UNREACHABLE))).toBe("database     127.0.0.1:5432/test: UNREACHABLE since 2024-03-01T11:57:08.000Z (connect ECONNREFUSED 127.0.0.1:5432), 512 rows pending (lag 3m12s)");
    // Down 3m9s as of the heartbeat: not yet a problem (the recorder alerts after 5 min).
    expect(renderStatus(view(state(UNREACHABLE))).at(-1)).toBe("health       ok");
  });

  test.each([
    [replication({ state: "catching_up", pending_rows: 1, lag_seconds: 61, replicated_rows: 0 }), "127.0.0.1:5432/test table candles: catching up, 1 row pending (lag 1m1s), 0 replicated, 0 conflicts"],
    [replication({ state: "connecting", conflicts: 1, rejected_rows: 2 }), "127.0.0.1:5432/test table candles: connecting, 0 rows pending (lag 0s), 1,234 replicated, 1 conflict, 2 rows rejected by the database"],
  ])("other states and counts: %#", (r, text) => {
    expect(databaseLine(state(r))).toBe(`database     ${text}`);
  });

  test("a lag over 5 min is a problem under health, and the verdict is degraded", () => {
    const v = view(state(replication({ state: "catching_up", lag_seconds: 400, pending_rows: 9000 })));
    expect(v.health.verdict).toBe("degraded");
    expect(renderStatus(v).slice(-2)).toEqual(["health       PROBLEM", "  - replication to the database 127.0.0.1:5432/test is 6m40s behind the CSVs (limit 5m); 9,000 rows wait in the CSVs"]);
  });

  test("a database down for over 5 min is a problem, the recorder still running", () => {
    const v = view(state({ ...UNREACHABLE, down_since: iso(-10 * 60_000) }));
    expect(v.health).toMatchObject({ running: true, healthy: false, verdict: "degraded" });
    expect(renderStatus(v)[0]).toStartWith("recorder     running,");
    expect(renderStatus(v).at(-1)).toBe("  - the database 127.0.0.1:5432/test has been unreachable for 9m57s (connect ECONNREFUSED 127.0.0.1:5432); 512 rows wait in the CSVs, recording goes on");
  });

  test("--json carries the replication section as the state file has it", () => {
    const json = statusJson(view(state(UNREACHABLE)));
    expect(json.replication).toEqual(UNREACHABLE);
    expect(json).toMatchObject({ healthy: true, verdict: "healthy" });
    const degraded = statusJson(view(state({ ...UNREACHABLE, down_since: iso(-600_000) })));
    expect(degraded).toMatchObject({ healthy: false, verdict: "degraded", replication: { state: "unreachable", pending_rows: 512 } });
  });

  test("without a replication section nothing about the database is shown", () => {
    expect(databaseLine(state())).toBeUndefined();
    expect("replication" in statusJson(view(state()))).toBe(false);
  });
});
