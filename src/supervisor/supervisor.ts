import { hostname } from "node:os";
import { systemClock, type Clock } from "../clock.ts";
import { streamKey } from "../candles/candle.ts";
import type { ResolvedConfig } from "../config/load.ts";
import { createRestBudget, type RestBudget } from "../exchange/rest-budget.ts";
import { parseStreamMessage, type StreamSpec } from "../stream/binance.ts";
import type { Connection } from "../stream/connection.ts";
import { isAligned } from "../time/intervals.ts";
import { createConnectionPool, type ConnectionPool, type PoolStats } from "./connection-pool.ts";
import type { RecorderEvent } from "./events.ts";
import { join, resolve } from "node:path";
import { csvFileName } from "../candles/csv.ts";
import { newStreamStats, openStream, prepareOutDir, type RecordedStream } from "./open-streams.ts";
import { buildRecorderState, type RecorderCounters, type StreamStats } from "./recorder-state.ts";
import type { ShardConnection } from "./shard-connection.ts";
import { openFileLimit, openFilesProblem } from "./open-files.ts";
import { UserError } from "../errors.ts";
import { createSyncPool, type SyncPool } from "../candles/sync-pool.ts";
import type { RecorderState, RecorderStatus } from "../state/state-file.ts";

export { CANDIDATE_TIMEOUT_MS } from "./shard-connection.ts";

/** From this many streams on (or with `--symbol all`), fdatasyncs run on a pool of threads. */
export const SYNC_POOL_FROM_STREAMS = 64;

export interface SupervisorOptions {
  config: ResolvedConfig;
  version: string;
  clock?: Clock;
  /** The symbols to record at start. @default config.symbols */
  symbols?: string[];
  /** Every REST call of the process goes through it. @default a budget of Binance's 6,000 weight per minute */
  budget?: RestBudget;
  /** Every event, for logs, alerts and the dashboard. Must not throw or block. */
  onEvent?(event: RecorderEvent): void;
  /** A state change worth persisting (the heartbeat coalesces them). */
  onChange?(): void;
  /** A stream went silent: the symbol list may have changed (a halt), worth a look soon. */
  onSilentStream?(symbol: string): void;
  createSocket?: (url: string) => WebSocket;
  /** A row is on disk (its fdatasync returned): `stream` is `SYMBOL@interval`. Must not block. */
  onDurable?(stream: string, openTime: number): void;
  /** A closing (x:true) event arrived for a candle its CSV does not have yet, before it is handled (write timing). Must not block. */
  onCloseReceived?(stream: string, openTime: number): void;
}

export interface Supervisor {
  /** Opens every CSV (UserError on a bad file or a live lock) and starts streaming. */
  start(): void;
  /** Idempotent: closes sockets, writes held rows, releases locks. */
  stop(reason: string): void;
  /** The `d` key: drop every live connection now (the backfill must repair it). */
  dropConnection(): void;
  /** The `r` key: a make-before-break restart of every connection now. */
  restartNow(): void;
  /**
   * Records `symbol` from now on (a listing, or a symbol trading again). A new CSV starts
   * with the exchange's first candle at or after `firstFrom` (a listing is recorded from its
   * first minute); an existing one goes on from its last row.
   */
  addSymbol(symbol: string, firstFrom?: number): void;
  /** `symbol` stopped trading: its streams are dropped, its CSVs closed, it is marked retired. */
  retireSymbol(symbol: string, status: string): void;
  /** Symbols recorded now (not retired). */
  readonly symbols: string[];
  state(): RecorderState;
  readonly counters: RecorderCounters;
  readonly streams: StreamStats[];
  readonly status: RecorderStatus;
  readonly budget: RestBudget;
  pool(): PoolStats;
}

/**
 * The recorder: a CSV per (symbol, interval), the streams sharded over a pool of
 * combined-stream connections (connection-pool.ts), REST backfill through one weight
 * budget after every (re)connect, and the symbol set changing while it runs.
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const budget = options.budget ?? createRestBudget({ clock });
  const emit = (event: RecorderEvent) => options.onEvent?.(event);
  const startedAt = clock.now();

  const counters: RecorderCounters = {
    startedAt,
    status: "starting",
    lastMessageAt: undefined,
    connectedSince: undefined,
    reconnects: 0,
    reactiveReconnects: 0,
    proactiveRestarts: 0,
    staleDetections: 0,
    restCalls: 0,
    malformed: 0,
    attempt: 0,
    nextRetryAt: undefined,
    nextRestartAt: undefined,
    stopReason: undefined,
    error: undefined,
  };
  const stats: StreamStats[] = [];
  const byKey = new Map<string, RecordedStream>();
  /** Streams retired this run: late klines for them are expected, not malformed. */
  const retiredKeys = new Set<string>();
  const recorded = new Set<string>();
  let stopping = false;
  /** Past a few dozen streams, a candle close is a burst of fdatasyncs: they go to worker threads. */
  let syncPool: SyncPool | undefined;

  function changed(): void {
    options.onChange?.();
  }

  /** The pool's connections summed up in kstlib's one-connection fields (when read, not on every candle). */
  function refreshCounters(): void {
    const shards = pool.shards;
    counters.status = stopping ? "stopped" : pool.status();
    const since = shards.map((s) => s.connectedSince);
    counters.connectedSince = since.length > 0 && since.every((t) => t !== undefined) ? Math.max(...(since as number[])) : undefined;
    counters.attempt = Math.max(0, ...shards.map((s) => s.attempt));
    counters.nextRetryAt = _min(shards.map((s) => s.nextRetryAt));
    counters.nextRestartAt = _min(shards.map((s) => s.nextRestartAt));
    counters.error = shards.find((s) => s.error !== undefined)?.error;
  }

  const pool: ConnectionPool = createConnectionPool({
    config,
    clock,
    counters,
    emit,
    changed,
    createSocket: options.createSocket,
    onMessage,
    onConnected(streams, reason) {
      for (const spec of streams) byKey.get(streamKey(spec.symbol, spec.interval))?.recorder.requestBackfill(reason);
    },
    boundaryWritten(boundary, streams) {
      return streams.every((spec) => {
        const s = byKey.get(streamKey(spec.symbol, spec.interval));
        return !s || !isAligned(s.recorder.interval, boundary) || (s.recorder.expectNext ?? boundary) >= boundary;
      });
    },
    liveAt: (spec) => byKey.get(streamKey(spec.symbol, spec.interval))?.stats.liveAt,
    onSilent(spec) {
      byKey.get(streamKey(spec.symbol, spec.interval))?.recorder.requestBackfill("silent stream");
      options.onSilentStream?.(spec.symbol);
    },
  });

  function open(symbol: string, firstFrom: number | undefined): void {
    for (const interval of config.intervals) {
      const key = streamKey(symbol, interval);
      const previous = stats.find((s) => s.key === key);
      const stream = openStream({ config, clock, emit, changed, budget, syncPool, onRestRequest: () => counters.restCalls++, onDurable: options.onDurable }, symbol, interval, { firstFrom, stats: previous });
      if (!previous) stats.push(stream.stats);
      byKey.set(key, stream);
      retiredKeys.delete(key);
    }
    recorded.add(symbol);
  }

  function refreshStreamStats(): void {
    for (const s of byKey.values()) {
      s.stats.backfilling = s.recorder.backfilling;
      s.stats.held = s.recorder.pending;
    }
  }

  function wantedStreams(): StreamSpec[] {
    return [...recorded].flatMap((symbol) => config.intervals.map((interval) => ({ symbol, interval })));
  }

  // --- messages ---

  function onMessage(text: string, shard: ShardConnection, conn: Connection): void {
    counters.lastMessageAt = clock.now();
    const msg = parseStreamMessage(text);
    switch (msg.type) {
      case "kline": {
        const key = streamKey(msg.candle.symbol, msg.candle.interval);
        const entry = byKey.get(key);
        if (!entry) {
          if (!retiredKeys.has(key)) countMalformed(`kline for a stream we did not ask for: ${msg.candle.symbol}@${msg.candle.interval}`);
          return;
        }
        const s = entry.stats;
        if (s.livePrice !== msg.candle.close) {
          s.previousPrice = s.livePrice;
          s.livePrice = msg.candle.close;
        }
        s.liveAt = counters.lastMessageAt;
        if (msg.closed) {
          if (msg.candle.openTime > (entry.writer.lastOpenTime ?? -Infinity)) options.onCloseReceived?.(key, msg.candle.openTime);
          entry.recorder.onClosed(msg.candle);
        } else entry.recorder.onLive(msg.candle);
        shard.delivered(conn);
        return;
      }
      case "shutdown":
        if (shard.serverShutdown(conn)) emit({ type: "server_shutdown", ...(pool.shards.length > 1 ? { connection: shard.index } : {}) });
        return;
      case "reply":
      case "other":
        return;
      case "invalid":
        countMalformed(msg.reason);
    }
  }

  function countMalformed(reason: string): void {
    counters.malformed++;
    emit({ type: "malformed_message", reason, count: counters.malformed });
  }

  // --- the interface ---

  const supervisor: Supervisor = {
    start() {
      const symbols = options.symbols ?? config.symbols;
      const streamCount = symbols.length * config.intervals.length;
      const problem = openFilesProblem(streamCount, Math.ceil(streamCount / config.streamsPerConnection), openFileLimit());
      if (problem) throw new UserError(problem);
      prepareOutDir(config.outDir);
      if (config.symbolSelection.all || streamCount >= SYNC_POOL_FROM_STREAMS) syncPool = createSyncPool();
      try {
        for (const symbol of symbols) open(symbol, undefined);
      } catch (err) {
        for (const s of byKey.values()) s.writer.close();
        throw err;
      }
      emit({ type: "started", streams: [...byKey.keys()] });
      for (const s of byKey.values()) s.recorder.requestBackfill("start-up");
      pool.start(wantedStreams());
      changed();
    },
    stop(reason) {
      if (stopping) return;
      stopping = true;
      counters.stopReason = reason;
      pool.stop();
      for (const s of byKey.values()) {
        s.recorder.stop();
        s.writer.close();
        s.stats.csvBytes = s.writer.bytesWritten;
      }
      syncPool?.close();
      refreshCounters();
      counters.nextRestartAt = undefined;
      counters.nextRetryAt = undefined;
      counters.connectedSince = undefined;
      options.onChange?.();
      emit({ type: "stopped", reason });
    },
    dropConnection() {
      pool.dropAll();
    },
    restartNow() {
      pool.restartAll("manual");
    },
    addSymbol(symbol, firstFrom) {
      if (stopping || recorded.has(symbol)) return;
      const wasRetired = stats.some((s) => s.symbol === symbol && s.retiredAt !== undefined);
      try {
        open(symbol, firstFrom);
      } catch (err) {
        emit({ type: "warning", message: `cannot record ${symbol}: ${err instanceof Error ? err.message : String(err)}` });
        for (const interval of config.intervals) {
          const key = streamKey(symbol, interval);
          byKey.get(key)?.writer.close();
          byKey.delete(key);
        }
        recorded.delete(symbol);
        return;
      }
      emit(wasRetired ? { type: "symbol_resumed", symbol } : { type: "symbol_listed", symbol });
      for (const interval of config.intervals) byKey.get(streamKey(symbol, interval))?.recorder.requestBackfill(wasRetired ? "trading again" : "listed");
      pool.setStreams(wantedStreams());
      changed();
    },
    retireSymbol(symbol, status) {
      if (stopping) return;
      const now = clock.now();
      for (const interval of config.intervals) {
        const key = streamKey(symbol, interval);
        const s = byKey.get(key);
        let stat = s?.stats ?? stats.find((x) => x.key === key);
        if (!stat) {
          // Named but not trading at start: listed in the state file as retired, no CSV opened.
          stat = newStreamStats(symbol, interval, join(resolve(config.outDir), csvFileName(symbol, interval, config.market)));
          stats.push(stat);
        }
        if (stat.retiredAt !== undefined && !s) continue;
        stat.retiredAt ??= now;
        if (!s) continue;
        s.recorder.stop();
        s.writer.close();
        s.stats.csvBytes = s.writer.bytesWritten;
        s.stats.backfilling = false;
        s.stats.held = 0;
        byKey.delete(key);
        retiredKeys.add(key);
      }
      const wasRecorded = recorded.delete(symbol);
      emit({ type: "symbol_retired", symbol, status });
      if (wasRecorded) pool.setStreams(wantedStreams());
      changed();
    },
    get symbols() {
      return [...recorded];
    },
    state() {
      refreshStreamStats();
      refreshCounters();
      return buildRecorderState({ counters, streams: stats, version: options.version, host: hostname(), pid: process.pid, now: clock.now(), rest: budget.snapshot(), connections: pool.stats() });
    },
    get counters() {
      refreshCounters();
      return counters;
    },
    get streams() {
      refreshStreamStats();
      return stats;
    },
    get status() {
      refreshCounters();
      return counters.status;
    },
    budget,
    pool: () => pool.stats(),
  };
  return supervisor;
}

// --- internal ---

function _min(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
}
