import { describe, expect, test } from "bun:test";
import { renderStatus, sessionProblems, statusJson, type StatusView } from "../../src/render/status.ts";
import { judgeHealth } from "../../src/state/health.ts";
import type { RecorderState } from "../../src/state/state-file.ts";

const NOW = Date.parse("2024-03-01T12:00:20.000Z");

const STATE: RecorderState = {
  status: "connected", pid: 4242, hostname: "box", version: "0.1.0", started_at: "2024-03-01T00:00:00.000Z",
  updated_at: "2024-03-01T12:00:17.000Z", last_message_at: "2024-03-01T12:00:19.500Z", connected_since: "2024-03-01T10:00:05.000Z",
  streams: {
    "BTCUSDT@1m": { symbol: "BTCUSDT", interval: "1m", last_candle: "2024-03-01T11:59:00.000Z", candles_written: 720, backfilled: 3, exchange_gaps: 0, exchange_gap_times: [], csv: "data/BTCUSDT-1m.csv" },
  },
  candles_written: 720, reconnects: 4, proactive_restarts: 3, backfilled: 3, exchange_gaps: 1, next_restart_at: "2024-03-01T16:00:00.000Z",
  stop_reason: null, timestamp: "2024-03-01T12:00:17.000Z", websocket_reconnects: 4, candles_received: 720,
  last_candle_time: "2024-03-01T11:59:00.000Z", error: null, heartbeat_sessions: 1, metadata: {},
};

function view(state: Partial<RecorderState>, extra: Partial<StatusView> = {}): StatusView {
  return { now: NOW, statePath: "/srv/state/heartbeat.state.json", state, health: judgeHealth(state, { now: NOW, maxAgeMs: 30_000, pidAlive: true }), pidChecked: true, ...extra };
}

describe("renderStatus", () => {
  test("a healthy recorder: every fact on its own line, times in UTC", () => {
    const session = { name: "resilience", exists: true, ours: true, recorder: { id: "%3", pid: 4242, dead: false, exitStatus: null } };
    expect(renderStatus(view(STATE, { session }))).toEqual([
      "recorder     running, pid 4242 on box, status connected",
      "state file   /srv/state/heartbeat.state.json",
      "heartbeat    3s ago (2024-03-01T12:00:17.000Z)",
      "last message 0s ago (2024-03-01T12:00:19.500Z)",
      "connected    for 2h15s (since 2024-03-01T10:00:05.000Z)",
      "reconnects   4, proactive restarts 3",
      "next restart in 3h59m40s (2024-03-01T16:00:00.000Z)",
      "backfilled   3 candles, exchange gaps 1",
      "streams",
      "  BTCUSDT 1m       last candle 2024-03-01T11:59:00.000Z (closed 20s ago), 720 written  data/BTCUSDT-1m.csv",
      "tmux         session resilience: recorder pane %3, pid 4242",
      "health       ok",
    ]);
  });

  test("problems are listed one per line under PROBLEM", () => {
    const lines = renderStatus(view({ ...STATE, updated_at: "2024-03-01T11:58:00.000Z", connected_since: null }));
    expect(lines).toContain("connected    no");
    expect(lines.slice(-2)).toEqual(["health       PROBLEM", "  - the heartbeat is 2m20s old (limit 30s): the recorder is frozen"]);
  });

  test("a kstlib state file shows its own fields", () => {
    const kstlib = { timestamp: "2024-03-01T12:00:15.123456+00:00", pid: 77, status: "connected", websocket_reconnects: 2, candles_received: 12, last_candle_time: "2024-03-01T11:00:00+00:00", error: null } as Partial<RecorderState>;
    expect(renderStatus(view(kstlib))).toEqual([
      "recorder     running, pid 77, status connected",
      "state file   /srv/state/heartbeat.state.json",
      "heartbeat    4s ago (2024-03-01T12:00:15.123Z)",
      "reconnects   2",
      "last candle  2024-03-01T11:00:00+00:00 (opened 1h20s ago)",
      "candles      12",
      "health       ok",
    ]);
  });

  test("a state from another host says its pid was not checked", () => {
    expect(renderStatus(view(STATE, { pidChecked: false }))[0]).toBe("recorder     running, pid 4242 on box (another host: not checked), status connected");
  });
});

describe("statusJson", () => {
  test("is the state file's fields plus healthy, problems and the session", () => {
    const session = { name: "rec", exists: false, ours: false, recorder: undefined };
    const json = statusJson(view(STATE, { session }));
    expect(json).toMatchObject({ ...STATE, healthy: true, problems: [], running: true, verdict: "healthy", state_file: "/srv/state/heartbeat.state.json" });
    expect(json.session).toEqual({ name: "rec", exists: false, ours: false, recorder: null });
  });
});

describe("sessionProblems", () => {
  test.each([
    [{ name: "r", exists: false, ours: false, recorder: undefined }, ["there is no tmux session named r"]],
    [{ name: "r", exists: true, ours: true, recorder: { id: "%1", pid: 5, dead: false, exitStatus: null } }, []],
    [{ name: "r", exists: true, ours: true, recorder: { id: "%1", pid: 5, dead: true, exitStatus: 70 } }, ["the recorder in tmux session r exited with status 70; its pane is kept: resilience logs --name r"]],
  ])("%j", (session, problems) => {
    expect(sessionProblems(session)).toEqual(problems);
  });
});
