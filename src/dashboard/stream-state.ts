import { candleOpenAt, candlesBetween, intervalMs, isInterval, previousOpenTime } from "../time/intervals.ts";
import type { DashboardStream } from "./snapshot.ts";

/** What a stream is doing, worst last in this list but first in the table (retired aside). */
export type StreamState = "recording" | "lagging" | "backfilling" | "retired";

/** A stream lags once its last closed candle is more than this many intervals behind the newest closed one. */
export const LAGGING_AFTER_CANDLES = 2;

/** The stream table's order and every stream's state at one `now` (see `rankStreams`). */
export interface RankedStreams {
  /** Indices into `streams`, in table order: backfilling and lagging streams most behind first, then recording ones by name, retired ones last (by name). */
  order: number[];
  /** The row in `order` of each stream (by index into `streams`). */
  rowOf: number[];
  state: StreamState[];
  /** Closed candles missing after each stream's last one (0 when it has none yet). */
  behind: number[];
  counts: Record<StreamState, number>;
}

/** `symbol@interval`: how the table names a stream and how the view remembers its selection. */
export function streamName(stream: DashboardStream): string {
  return `${stream.symbol}@${stream.interval}`;
}

/**
 * Ranks the streams for the table. One pass and one sort; the last result is kept, so the
 * view and the renderer of one frame (same `streams` array, same `now`) sort only once.
 * The streams must not be changed in place between two calls with the same array and `now`.
 */
export function rankStreams(streams: readonly DashboardStream[], now: number): RankedStreams {
  if (_last && _last.streams === streams && _last.now === now && _last.length === streams.length) return _last.ranked;
  const ranked = _rank(streams, now);
  _last = { streams, now, length: streams.length, ranked };
  return ranked;
}

/**
 * The first row to show of a `count`-row table with `page` rows visible: `scroll` clamped
 * to the table, then moved just enough to show `selectedRow` (when given).
 */
export function streamWindow(count: number, page: number, scroll: number, selectedRow?: number): number {
  const rows = Math.max(1, page);
  let first = Math.min(Math.max(0, Math.floor(scroll) || 0), Math.max(0, count - rows));
  if (selectedRow !== undefined && selectedRow >= 0 && selectedRow < count) {
    if (selectedRow < first) first = selectedRow;
    else if (selectedRow >= first + rows) first = selectedRow - rows + 1;
  }
  return first;
}

// --- internal ---

let _last: { streams: readonly DashboardStream[]; now: number; length: number; ranked: RankedStreams } | undefined;

/** Table groups: 0 backfilling or lagging, 1 recording, 2 retired. */
const _GROUP: Record<StreamState, number> = { backfilling: 0, lagging: 0, recording: 1, retired: 2 };

function _rank(streams: readonly DashboardStream[], now: number): RankedStreams {
  const n = streams.length;
  const state: StreamState[] = new Array(n);
  const behind: number[] = new Array(n);
  const lagMs: number[] = new Array(n);
  const ivMs: number[] = new Array(n);
  const counts: Record<StreamState, number> = { recording: 0, lagging: 0, backfilling: 0, retired: 0 };
  for (let i = 0; i < n; i++) {
    const st = streams[i]!;
    const lag = _lag(st, now);
    behind[i] = lag.candles;
    lagMs[i] = lag.ms;
    ivMs[i] = isInterval(st.interval) ? intervalMs(st.interval) : Number.MAX_SAFE_INTEGER;
    const s: StreamState = st.retiredAt != null ? "retired" : st.backfilling || (st.held ?? 0) > 0 ? "backfilling" : lag.candles > LAGGING_AFTER_CANDLES ? "lagging" : "recording";
    state[i] = s;
    counts[s]++;
  }
  const byName = (a: number, b: number): number => {
    const sa = streams[a]!.symbol;
    const sb = streams[b]!.symbol;
    if (sa !== sb) return sa < sb ? -1 : 1;
    return ivMs[a]! - ivMs[b]! || (streams[a]!.interval < streams[b]!.interval ? -1 : streams[a]!.interval > streams[b]!.interval ? 1 : 0) || a - b;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const ga = _GROUP[state[a]!];
    const gb = _GROUP[state[b]!];
    if (ga !== gb) return ga - gb;
    return (ga === 0 ? lagMs[b]! - lagMs[a]! : 0) || byName(a, b);
  });
  const rowOf: number[] = new Array(n);
  order.forEach((stream, row) => (rowOf[stream] = row));
  return { order, rowOf, state, behind, counts };
}

/** How far the stream's last closed candle is behind the newest closed candle of its interval at `now`. */
function _lag(st: DashboardStream, now: number): { candles: number; ms: number } {
  const last = st.lastClosedOpenTime;
  if (last === null || !isInterval(st.interval)) return { candles: 0, ms: 0 };
  const newest = previousOpenTime(st.interval, candleOpenAt(st.interval, now));
  if (last >= newest) return { candles: 0, ms: 0 };
  return { candles: candlesBetween(st.interval, last, newest), ms: newest - last };
}
