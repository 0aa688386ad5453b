import { expect, test } from "bun:test";
import type { ReplicationSnapshot } from "../../src/db/replication-lag.ts";
import { renderExposition } from "../../src/metrics/exposition.ts";
import { createRecorderMetrics, type RecorderMetricsSources } from "../../src/metrics/recorder-metrics.ts";
import { createWriteLatency } from "../../src/metrics/write-latency.ts";
import { newStreamStats } from "../../src/supervisor/open-streams.ts";
import type { RecorderCounters } from "../../src/supervisor/recorder-state.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prom-parser.ts";
import { RECORDER_FAMILIES } from "../helpers/metric-families.ts";

const T0 = Date.UTC(2026, 0, 1);

function sources(extra: Partial<RecorderMetricsSources> = {}): RecorderMetricsSources {
  const btc = { ...newStreamStats("BTCUSDT", "1m", "/o/candles_BTCUSDT_1m.csv"), candlesWritten: 12, backfilled: 3, exchangeGaps: 1, lastCandle: T0 };
  const eth = newStreamStats("ETHUSDT", "1m", "/o/candles_ETHUSDT_1m.csv");
  const counters = { reactiveReconnects: 2, proactiveRestarts: 5, lastMessageAt: T0 + 61_500 } as RecorderCounters;
  const latency = createWriteLatency({ now: () => 0 });
  latency.received("BTCUSDT@1m", T0);
  latency.durable("BTCUSDT@1m", T0);
  return {
    version: "0.1.0",
    market: "usdm",
    counters: () => counters,
    streams: () => [btc, eth],
    pool: () => ({ open: 1, total: 1, recentAttempts: 3 }),
    rest: () => ({ byCode: new Map([["200", 7], ["429", 1], ["error", 2]]), lastUsedWeight: 42 }),
    writeSeconds: latency.histogram,
    alerts: () => [{ channel: "slack", sent: 4, failed: 1, dropped: 0 }],
    ...extra,
  };
}

test("every family with its type, from the live figures, passing the strict parser", () => {
  const parsed = parsePrometheusText(renderExposition(createRecorderMetrics(sources()).collect()));
  const types: Record<string, string> = Object.fromEntries([...parsed.values()].map((f) => [f.name, f.type]));
  expect(types).toEqual({ ...RECORDER_FAMILIES });
  const btc = { symbol: "BTCUSDT", interval: "1m", market: "usdm" };
  expect(sampleValue(parsed, "resilience_build_info", { version: "0.1.0", market: "usdm" })).toBe(1);
  expect(sampleValue(parsed, "resilience_candles_written_total", btc)).toBe(12);
  expect(sampleValue(parsed, "resilience_candles_written_total", { symbol: "ETHUSDT" })).toBe(0);
  expect(sampleValue(parsed, "resilience_backfilled_candles_total", btc)).toBe(3);
  expect(sampleValue(parsed, "resilience_exchange_gaps_total", btc)).toBe(1);
  expect(sampleValue(parsed, "resilience_last_candle_timestamp_seconds", btc)).toBe(T0 / 1000);
  expect(parsed.get("resilience_last_candle_timestamp_seconds")!.samples).toHaveLength(1); // ETHUSDT has no candle yet
  expect(sampleValue(parsed, "resilience_reconnects_total", { kind: "reactive" })).toBe(2);
  expect(sampleValue(parsed, "resilience_reconnects_total", { kind: "proactive" })).toBe(5);
  expect(sampleValue(parsed, "resilience_connections")).toBe(1);
  expect(sampleValue(parsed, "resilience_last_message_timestamp_seconds")).toBe((T0 + 61_500) / 1000);
  expect(sampleValue(parsed, "resilience_rest_requests_total", { code: "error" })).toBe(2);
  expect(sampleValue(parsed, "resilience_rest_weight_used")).toBe(42);
  expect(sampleValue(parsed, "resilience_write_seconds_count")).toBe(1);
  expect(sampleValue(parsed, "resilience_alerts_total", { channel: "slack", result: "sent" })).toBe(4);
  expect(sampleValue(parsed, "resilience_alerts_total", { channel: "slack", result: "failed" })).toBe(1);
  expect(sampleValue(parsed, "resilience_alerts_total", { channel: "slack", result: "dropped" })).toBe(0);
});

test("replication families come with --db only; alerts per service, none without alerts", () => {
  const replication = { pendingRows: 10, lagMs: 2500, replicatedRows: 100, conflicts: 1 } as ReplicationSnapshot;
  const parsed = parsePrometheusText(
    renderExposition(
      createRecorderMetrics(
        sources({
          replication: () => replication,
          alerts: () => [
            { channel: "slack", sent: 1, failed: 0, dropped: 0 },
            { channel: "telegram", sent: 2, failed: 0, dropped: 3 },
          ],
        }),
      ).collect(),
    ),
  );
  expect(sampleValue(parsed, "resilience_replication_lag_seconds")).toBe(2.5);
  expect(sampleValue(parsed, "resilience_replication_pending_rows")).toBe(10);
  expect(sampleValue(parsed, "resilience_replicated_rows_total")).toBe(100);
  expect(sampleValue(parsed, "resilience_replication_conflicts_total")).toBe(1);
  expect(parsed.get("resilience_replication_lag_seconds")!.type).toBe("gauge");
  expect(sampleValue(parsed, "resilience_alerts_total", { channel: "telegram", result: "sent" })).toBe(2);
  expect(sampleValue(parsed, "resilience_alerts_total", { channel: "telegram", result: "dropped" })).toBe(3);
  expect(parsed.get("resilience_alerts_total")!.samples).toHaveLength(6);
  const without = parsePrometheusText(renderExposition(createRecorderMetrics(sources({ replication: () => undefined, alerts: () => [] })).collect()));
  expect([...without.keys()].filter((n) => n.includes("replic") || n.includes("alert"))).toEqual([]);
});

test("REST codes the rules watch are there from the start, at 0", () => {
  const parsed = parsePrometheusText(renderExposition(createRecorderMetrics(sources({ rest: () => ({ byCode: new Map([["503", 1]]), lastUsedWeight: undefined }) })).collect()));
  expect(Object.fromEntries(parsed.get("resilience_rest_requests_total")!.samples.map((s) => [s.labels.code, s.value]))).toEqual({ "200": 0, "418": 0, "429": 0, error: 0, "503": 1 });
  expect(parsed.has("resilience_rest_weight_used")).toBe(false);
});

test("a retired stream keeps its counters but has no last-candle gauge (no alert waits for its candles)", () => {
  const retired = { ...newStreamStats("LUNAUSDT", "1m", "/o/candles_LUNAUSDT_1m.csv"), candlesWritten: 7, lastCandle: T0, retiredAt: T0 + 60_000 };
  const families = createRecorderMetrics(sources({ streams: () => [retired] })).collect();
  const family = (name: string) => families.find((f) => f.name === name)!;
  expect(family("resilience_last_candle_timestamp_seconds").samples).toEqual([]);
  expect(family("resilience_candles_written_total").samples.map((s) => ("value" in s ? s.value : undefined))).toEqual([7]);
});
