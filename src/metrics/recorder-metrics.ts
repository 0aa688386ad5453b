import type { ReplicationSnapshot } from "../db/replication-lag.ts";
import type { Market } from "../exchange/market.ts";
import type { RestAnswers } from "../exchange/rest-budget.ts";
import type { PoolStats } from "../supervisor/connection-pool.ts";
import type { RecorderCounters, StreamStats } from "../supervisor/recorder-state.ts";
import type { HistogramSample, Labels, MetricFamily, Sample } from "./exposition.ts";

/**
 * REST codes shown from the start, at 0 until seen: a series that appears with its first
 * count hides that count from `increase()`, and the rules alert on 418 and 429.
 */
const REST_CODES_ALWAYS = ["200", "418", "429", "error"];

/** One alert channel's figures (the alerter's channelStats()). */
export interface AlertChannelCounts {
  /** The service: slack, telegram, discord, webhook. */
  channel: string;
  /** Messages the service accepted. */
  sent: number;
  /** POST attempts that failed. */
  failed: number;
  /** Messages given up (the queue bound, or refused by the service). */
  dropped: number;
}

/** Where the figures come from: the objects that already count them, read when scraped. */
export interface RecorderMetricsSources {
  version: string;
  market: Market;
  counters(): RecorderCounters;
  streams(): readonly StreamStats[];
  pool(): PoolStats;
  rest(): RestAnswers;
  writeSeconds(): HistogramSample;
  /** Per configured alert channel; none without alerts. */
  alerts?(): readonly AlertChannelCounts[];
  /** undefined without --db. */
  replication?(): ReplicationSnapshot | undefined;
}

/**
 * The recorder's metric families, collected from the live counters at scrape time (pull):
 * nothing is counted twice and nothing runs between scrapes. Label objects of a stream are
 * made once and kept.
 */
export function createRecorderMetrics(sources: RecorderMetricsSources): { collect(): MetricFamily[] } {
  const streamLabels = new WeakMap<StreamStats, Labels>();
  const labelsOf = (s: StreamStats): Labels => {
    let labels = streamLabels.get(s);
    if (!labels) streamLabels.set(s, (labels = { symbol: s.symbol, interval: s.interval, market: sources.market }));
    return labels;
  };

  return {
    collect() {
      const streams = sources.streams();
      const counters = sources.counters();
      const perStream = (f: (s: StreamStats) => number | undefined): Sample[] => {
        const out: Sample[] = [];
        for (const s of streams) {
          const value = f(s);
          if (value !== undefined) out.push({ labels: labelsOf(s), value });
        }
        return out;
      };
      const rest = sources.rest();
      return [
        buildInfo(sources.version, sources.market),
        { name: "resilience_candles_written_total", help: "Rows appended to the stream's CSV by this process (stream and backfill).", type: "counter", samples: perStream((s) => s.candlesWritten) },
        { name: "resilience_backfilled_candles_total", help: "Rows of the stream's CSV written from REST backfill by this process.", type: "counter", samples: perStream((s) => s.backfilled) },
        { name: "resilience_exchange_gaps_total", help: "Candles the exchange does not have (a trading halt), found by this process.", type: "counter", samples: perStream((s) => s.exchangeGaps) },
        // A retired stream (its symbol stopped trading) expects no candle: it has no last-candle
        // gauge, so a "no candles for two intervals" alert does not fire for it.
        { name: "resilience_last_candle_timestamp_seconds", help: "Open time of the newest row in the stream's CSV, Unix seconds; absent for a retired stream.", type: "gauge", samples: perStream((s) => (s.retiredAt === undefined ? _seconds(s.lastCandle) : undefined)) },
        {
          name: "resilience_reconnects_total",
          help: "Reconnections: reactive (a drop, a stale stream, a server shutdown) and proactive (the periodic make-before-break restart).",
          type: "counter",
          samples: [
            { labels: { kind: "reactive" }, value: counters.reactiveReconnects },
            { labels: { kind: "proactive" }, value: counters.proactiveRestarts },
          ],
        },
        { name: "resilience_connections", help: "WebSocket connections open and delivering.", type: "gauge", samples: [{ value: sources.pool().open }] },
        { name: "resilience_last_message_timestamp_seconds", help: "When the last stream message arrived, Unix seconds.", type: "gauge", samples: _one(_seconds(counters.lastMessageAt)) },
        { name: "resilience_rest_requests_total", help: 'REST answers by HTTP status; code="error" is a request that got no answer (network error, timeout).', type: "counter", samples: _restCodes(rest.byCode) },
        { name: "resilience_rest_weight_used", help: "The last X-MBX-USED-WEIGHT-1M the exchange reported.", type: "gauge", samples: _one(rest.lastUsedWeight) },
        { name: "resilience_write_seconds", help: "From a closing event's arrival to its row on disk (fdatasync included), for rows from the live stream.", type: "histogram", samples: [sources.writeSeconds()] },
        { name: "resilience_alerts_total", help: "Alert messages sent, POST attempts failed, messages dropped, per alert service (slack, telegram, discord, webhook).", type: "counter", samples: _alerts(sources.alerts?.() ?? []) },
        ..._replication(sources.replication?.()),
      ];
    },
  };
}

/** `resilience_build_info{version,market} 1`. */
export function buildInfo(version: string, market: Market): MetricFamily {
  return { name: "resilience_build_info", help: "Version and market of this recorder (always 1).", type: "gauge", samples: [{ labels: { version, market }, value: 1 }] };
}

// --- internal ---

function _seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

function _one(value: number | undefined): Sample[] {
  return value === undefined ? [] : [{ value }];
}

function _restCodes(byCode: ReadonlyMap<string, number>): Sample[] {
  const codes = [...new Set([...REST_CODES_ALWAYS, ...byCode.keys()])];
  return codes.map((code) => ({ labels: { code }, value: byCode.get(code) ?? 0 }));
}

function _alerts(channels: readonly AlertChannelCounts[]): Sample[] {
  return channels.flatMap(({ channel, sent, failed, dropped }) => [
    { labels: { channel, result: "sent" }, value: sent },
    { labels: { channel, result: "failed" }, value: failed },
    { labels: { channel, result: "dropped" }, value: dropped },
  ]);
}

function _replication(r: ReplicationSnapshot | undefined): MetricFamily[] {
  if (!r) return [];
  return [
    { name: "resilience_replication_lag_seconds", help: "How long the oldest row on disk has waited for the database, in seconds.", type: "gauge", samples: [{ value: r.lagMs / 1000 }] },
    { name: "resilience_replication_pending_rows", help: "Rows in the CSVs not yet in the database.", type: "gauge", samples: [{ value: r.pendingRows }] },
    { name: "resilience_replicated_rows_total", help: "Rows sent to the database by this process (inserted, already there, or conflicting).", type: "counter", samples: [{ value: r.replicatedRows }] },
    { name: "resilience_replication_conflicts_total", help: "Rows the database held with other values (kept in the conflicts table).", type: "counter", samples: [{ value: r.conflicts }] },
  ];
}
