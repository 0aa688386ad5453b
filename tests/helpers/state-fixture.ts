import { hostname } from "node:os";
import { writeState, type RecorderState } from "../../src/state/state-file.ts";

const HOUR_MS = 3_600_000;

/**
 * Writes a healthy-looking state file as the recorder would at `at` (epoch ms): this
 * process's pid and host, one BTCUSDT 1h stream whose last closed candle is recent.
 */
export function writeStateAt(path: string, at: number, overrides: Partial<RecorderState> = {}): RecorderState {
  const iso = (ms: number) => new Date(ms).toISOString();
  const lastCandle = Math.floor(at / HOUR_MS) * HOUR_MS - HOUR_MS;
  const state: RecorderState = {
    status: "connected",
    pid: process.pid,
    hostname: hostname(),
    version: "0.1.0",
    started_at: iso(at - 2 * HOUR_MS),
    updated_at: iso(at),
    last_message_at: iso(at),
    connected_since: iso(at - HOUR_MS),
    streams: {
      "BTCUSDT@1h": { symbol: "BTCUSDT", interval: "1h", last_candle: iso(lastCandle), candles_written: 2, backfilled: 0, exchange_gaps: 0, exchange_gap_times: [], csv: "candles_BTCUSDT_1h.csv" },
    },
    candles_written: 2,
    reconnects: 0,
    proactive_restarts: 0,
    backfilled: 0,
    exchange_gaps: 0,
    next_restart_at: null,
    stop_reason: null,
    timestamp: iso(at),
    websocket_reconnects: 0,
    candles_received: 2,
    last_candle_time: iso(lastCandle),
    error: null,
    heartbeat_sessions: 1,
    metadata: {},
    ...overrides,
  };
  writeState(path, state);
  return state;
}
