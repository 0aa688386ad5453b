import { mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Clock } from "../clock.ts";
import { UserError, errorMessage } from "../errors.ts";
import { streamKey } from "../candles/candle.ts";
import { conflictLogPath } from "../candles/conflict-log.ts";
import { csvFileName } from "../candles/csv.ts";
import { createCandleWriter, type CandleWriter } from "../candles/writer.ts";
import type { ResolvedConfig } from "../config/load.ts";
import { fetchClosedPage } from "../exchange/rest-klines.ts";
import type { RestBudget } from "../exchange/rest-budget.ts";
import type { SyncPool } from "../candles/sync-pool.ts";
import { candleOpenAt, intervalMs, nextOpenTime, type Interval } from "../time/intervals.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";
import type { RecorderEvent } from "./events.ts";
import type { StreamStats } from "./recorder-state.ts";
import { createStreamRecorder, type StreamRecorder } from "./stream-recorder.ts";

/** Closed candles kept per stream for the dashboard's table and chart. */
const RECENT_CANDLES = 120;
/** Exchange-gap open times kept per stream in the state file. */
const GAP_TIMES_KEPT = 100;

/** One (symbol, interval): its CSV writer, its recorder, and its counters. */
export interface RecordedStream {
  stats: StreamStats;
  recorder: StreamRecorder;
  writer: CandleWriter;
}

export interface OpenStreamsOptions {
  config: ResolvedConfig;
  clock: Clock;
  emit(event: RecorderEvent): void;
  changed(): void;
  /** Every REST call goes through it. */
  budget?: RestBudget;
  /** fdatasync on worker threads (many streams); undefined: inline after each write. */
  syncPool?: SyncPool;
  onRestRequest(): void;
  /** A row is on disk (fdatasync returned): for followers and measurements. */
  onDurable?(stream: string, openTime: number): void;
}

/** Creates --out (a UserError when it cannot be used as a directory). */
export function prepareOutDir(dir: string): void {
  try {
    mkdirSync(resolve(dir), { recursive: true });
    if (!statSync(resolve(dir)).isDirectory()) throw new Error("not a directory");
  } catch (err) {
    throw new UserError(`cannot create the output directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}; choose another --out`);
  }
}

export interface OpenStreamOptions {
  /** A new CSV starts with the exchange's first candle at or after this time (a listing). */
  firstFrom?: number;
  /** The counters of an earlier recording of this stream in this run (a symbol trading again). */
  stats?: StreamStats;
}

/** Opens the CSV of one (symbol, interval) in --out with its recorder (UserError on a bad file). */
export function openStream(options: OpenStreamsOptions, symbol: string, interval: Interval, extra: OpenStreamOptions = {}): RecordedStream {
  return _openStream(options, join(resolve(options.config.outDir), csvFileName(symbol, interval, options.config.market)), symbol, interval, extra);
}

/** Fresh counters for a stream. */
export function newStreamStats(symbol: string, interval: Interval, csv: string): StreamStats {
  return {
    key: streamKey(symbol, interval), symbol, interval, csv,
    lastCandle: undefined, candlesWritten: 0, backfilled: 0, exchangeGaps: 0, exchangeGapTimes: [],
    livePrice: undefined, previousPrice: undefined, liveAt: undefined, recent: [], csvBytes: 0, lastSyncAt: undefined, conflicts: [], retiredAt: undefined, backfilling: false, held: 0,
  };
}

// --- internal ---

function _openStream(options: OpenStreamsOptions, path: string, symbol: string, interval: Interval, extra: OpenStreamOptions): RecordedStream {
  const { config, clock, emit, changed } = options;
  const stats = extra.stats ?? newStreamStats(symbol, interval, path);
  stats.retiredAt = undefined;
  const writer = createCandleWriter({
    path,
    columns: config.columns,
    clock,
    syncPool: options.syncPool,
    onFailing(error, heldRows) {
      emit({ type: "csv_write_failing", symbol, interval, error: `${error} (${heldRows} rows held in memory, retrying)` });
      changed();
    },
    onDamaged(error, heldRows) {
      // Counted rows are at stake: appending stopped until the file's tail checks out again.
      emit({ type: "csv_write_failing", symbol, interval, error: `the file could not be restored after a failed write (${error}); appending stopped, ${heldRows} rows held in memory in order, retrying` });
      changed();
    },
    onRecovered() {
      emit({ type: "csv_write_recovered", symbol, interval });
      changed();
    },
    onSynced(openTime) {
      stats.lastSyncAt = clock.now();
      options.onDurable?.(stats.key, openTime);
    },
  });
  if (writer.repairs.tornBytes > 0) {
    emit({ type: "warning", message: `${path}: cut a torn last line of ${writer.repairs.tornBytes} bytes left by a crash: "${writer.repairs.tornText.slice(0, 80)}"` });
  }
  const stale = writer.repairs.staleLock;
  if (stale) emit({ type: "warning", message: `${path}: took over the lock of pid ${stale.pid}, which is no longer running` });
  stats.lastCandle = writer.lastOpenTime;
  if (writer.lastOpenTime !== undefined && writer.lastOpenTime > clock.now() + intervalMs(interval)) {
    writer.close();
    throw new UserError(`the last row of ${path} is in the future (${formatIsoSeconds(writer.lastOpenTime)}); check this machine's clock, or the file with 'resilience gaps ${path}'`);
  }
  const recorder = createStreamRecorder({
    symbol,
    interval,
    writer,
    clock,
    startAt: config.since !== undefined ? _alignUp(interval, config.since) : undefined,
    firstFrom: extra.firstFrom,
    fetchClosed: (from, signal, openFrom) =>
      fetchClosedPage({
        restUrl: config.restUrl, market: config.market, symbol, interval, startTime: from, signal, clock, openFrom,
        budget: options.budget, stream: stats.key, holeFrom: from,
        onRequest: options.onRestRequest,
        onRetry: ({ attempt, delayMs, reason }) => emit({ type: "rest_retry", symbol, interval, attempt, error: reason, retryInMs: delayMs }),
      }),
    events: {
      written(candle, via) {
        stats.candlesWritten++;
        if (via === "backfill") stats.backfilled++;
        stats.lastCandle = candle.openTime;
        stats.recent.push(candle);
        if (stats.recent.length > RECENT_CANDLES) stats.recent.shift();
        stats.csvBytes = writer.bytesWritten;
        changed();
      },
      backfilled: (candles) => emit({ type: "backfill_repaired", symbol, interval, candles }),
      exchangeGap(openTimes) {
        stats.exchangeGaps += openTimes.length;
        stats.exchangeGapTimes.push(...openTimes);
        if (stats.exchangeGapTimes.length > GAP_TIMES_KEPT) stats.exchangeGapTimes.splice(0, stats.exchangeGapTimes.length - GAP_TIMES_KEPT);
        emit({ type: "exchange_gap", symbol, interval, openTimes });
        changed();
      },
      conflict(record, earlierDiffers) {
        stats.conflicts.push(record);
        stats.lastCandle = writer.lastOpenTime;
        emit({ type: "row_conflict", symbol, interval, record, earlierDiffers, conflictLog: conflictLogPath(path) });
        changed();
      },
      unrepaired: (from, to) => emit({ type: "unrepaired_hole", symbol, interval, from, to }),
      warn: (message) => emit({ type: "warning", message }),
    },
  });
  return { stats, recorder, writer };
}

/** First open time at or after `t`. */
function _alignUp(interval: Interval, t: number): number {
  const open = candleOpenAt(interval, t);
  return open === t ? t : nextOpenTime(interval, open);
}
