import type { StreamSpec } from "../stream/binance.ts";
import { klineStreamName } from "../stream/binance.ts";
import { candleOpenAt, type Interval } from "../time/intervals.ts";

/** Binance pushes kline updates every second on 1s streams, every 2 s on the others. */
export function updatePeriodMs(interval: Interval): number {
  return interval === "1s" ? 1000 : 2000;
}

/** Silent this many update periods past a candle's close = the stream is silent. */
export const SILENT_PERIODS = 3;
/** A stream found silent again soon after being moved waits longer each time, up to this. */
const MAX_SILENCE_BACKOFF_MS = 3_600_000;

/** Per stream: when it was last reported, and how long to wait before reporting it again. */
export interface SilenceWatch {
  reportedAt: number;
  backoffMs: number;
}

export interface SilenceInput {
  streams: readonly StreamSpec[];
  now: number;
  /** When the connection carrying them opened; undefined when it is not open. */
  connectedSince: number | undefined;
  /** When that connection last delivered a data frame. */
  lastMessageAt: number | undefined;
  liveAt(stream: StreamSpec): number | undefined;
  /** When the stream joined this connection's list (a listing added later), if after it opened. */
  joinedAt?(stream: StreamSpec): number | undefined;
  /** Updated in place: a stream reported is not reported again before its backoff passed. */
  watches: Map<string, SilenceWatch>;
}

/**
 * Streams gone silent on a connection that still delivers: each candle closes with an
 * event, so a stream with no update for SILENT_PERIODS update periods after the latest
 * close, while its connection delivered within the last period and was open before that
 * close, has been dropped by the server. Quiet markets are not silent streams: they still
 * get their close event. A stream reported again soon waits twice as long as the last time.
 */
export function silentStreams(input: SilenceInput): { stream: StreamSpec; silentMs: number }[] {
  const { now, connectedSince, lastMessageAt } = input;
  if (connectedSince === undefined || lastMessageAt === undefined) return [];
  const found: { stream: StreamSpec; silentMs: number }[] = [];
  for (const stream of input.streams) {
    const period = updatePeriodMs(stream.interval);
    // The latest close at least SILENT_PERIODS update periods ago: its event is overdue.
    const lastClose = candleOpenAt(stream.interval, now - SILENT_PERIODS * period);
    const since = Math.max(connectedSince, input.joinedAt?.(stream) ?? -Infinity);
    if (since >= lastClose || now - lastMessageAt > period) continue;
    const liveAt = input.liveAt(stream);
    if (liveAt !== undefined && liveAt >= lastClose) continue;
    const key = klineStreamName(stream);
    const watch = input.watches.get(key);
    if (watch && now - watch.reportedAt < watch.backoffMs) continue;
    const backoffMs = watch && now - watch.reportedAt < 2 * watch.backoffMs ? Math.min(MAX_SILENCE_BACKOFF_MS, watch.backoffMs * 2) : SILENT_PERIODS * period * 10;
    input.watches.set(key, { reportedAt: now, backoffMs });
    found.push({ stream, silentMs: now - Math.max(liveAt ?? connectedSince, connectedSince) });
  }
  return found;
}
