import { expect, test } from "bun:test";
import { renderStatus, type StatusView } from "../../src/render/status.ts";
import { judgeHealth } from "../../src/state/health.ts";
import type { RecorderState, StreamState } from "../../src/state/state-file.ts";

const NOW = Date.parse("2026-11-30T12:00:20.000Z");

function stream(symbol: string, extra: Partial<StreamState> = {}): StreamState {
  return { symbol, interval: "1m", last_candle: "2026-11-30T11:59:00.000Z", candles_written: 60, backfilled: 0, exchange_gaps: 0, exchange_gap_times: [], csv: `out/candles_${symbol}_1m.csv`, ...extra };
}

function marketState(): Partial<RecorderState> {
  const streams: Record<string, StreamState> = {};
  for (let i = 0; i < 300; i++) streams[`S${i}USDT@1m`] = stream(`S${i}USDT`);
  streams["HALTUSDT@1m"] = stream("HALTUSDT", { last_candle: "2026-11-30T09:00:00.000Z", retired: "2026-11-30T09:01:05.000Z" });
  streams["SLOWUSDT@1m"] = stream("SLOWUSDT", { last_candle: "2026-11-30T11:50:00.000Z", backfilling: true, held: 4 });
  return {
    status: "connected", pid: 1, hostname: "box", updated_at: "2026-11-30T12:00:18.000Z", started_at: "2026-11-30T08:00:00.000Z", streams,
    connections: { open: 2, total: 2, recent_attempts: 4 },
    rest: { limit_per_minute: 6000, cap_per_minute: 4800, used_this_minute: 120, peak_per_minute: 3100, queued: 7, in_flight: 2, granted: 1500, paused_until: null, rate_limited: 0, banned: 0 },
  };
}

function view(state: Partial<RecorderState>): StatusView {
  return { now: NOW, statePath: "state.json", state, health: judgeHealth(state, { now: NOW, maxAgeMs: 30_000, pidAlive: true }), pidChecked: true };
}

test("a retired stream is not late: stopped trading is not a problem", () => {
  const health = judgeHealth(marketState(), { now: NOW, maxAgeMs: 30_000, pidAlive: true });
  expect(health.problems.join("\n")).not.toContain("HALTUSDT");
  expect(health.problems.join("\n")).toContain("SLOWUSDT");
});

test("hundreds of streams: a summary line, then only the streams worth a look; connections and REST on their own lines", () => {
  const lines = renderStatus(view(marketState()));
  expect(lines).toContain("streams      302: 300 recording, 1 backfilling, 1 retired (each: status --json)");
  expect(lines.some((l) => l.includes("HALTUSDT 1m") && l.includes("retired 2026-11-30T09:01:05.000Z"))).toBe(true);
  expect(lines.some((l) => l.includes("SLOWUSDT 1m") && l.includes("backfilling (4 held)"))).toBe(true);
  expect(lines.some((l) => l.includes("S17USDT"))).toBe(false);
  expect(lines).toContain("connections  2 of 2 open, 4 attempts in the last 5 min");
  expect(lines.find((l) => l.startsWith("REST"))).toContain("120/4800 weight this minute (limit 6000, peak 3100), 7 queued");
  expect(lines.length).toBeLessThan(20);
});
