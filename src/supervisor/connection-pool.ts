import type { Clock } from "../clock.ts";
import type { ResolvedConfig } from "../config/load.ts";
import { createAttemptLimiter, type AttemptLimiter } from "../stream/attempt-limiter.ts";
import { klineStreamName, type StreamSpec } from "../stream/binance.ts";
import type { Connection } from "../stream/connection.ts";
import { reshardStreams, sameStreams } from "../stream/shard.ts";
import type { RecorderEvent } from "./events.ts";
import type { RecorderCounters } from "./recorder-state.ts";
import { createShardConnection, type RestartReason, type ShardConnection, type ShardStatus } from "./shard-connection.ts";
import { silentStreams, type SilenceWatch } from "./stream-liveness.ts";

/** How often the pool looks for streams gone silent on a connection that delivers the others. */
const LIVENESS_CHECK_MS = 1000;

export interface ConnectionPoolOptions {
  config: ResolvedConfig;
  clock: Clock;
  counters: RecorderCounters;
  emit(event: RecorderEvent): void;
  changed(): void;
  createSocket?: (url: string) => WebSocket;
  /** A data frame from any connection (routing is the caller's). */
  onMessage(text: string, shard: ShardConnection, conn: Connection): void;
  /** These streams' connection (re)connected: they backfill what they missed. */
  onConnected(streams: readonly StreamSpec[], reason: "connected" | "proactive restart"): void;
  boundaryWritten(boundary: number, streams: readonly StreamSpec[]): boolean;
  /** When a stream last delivered an update (undefined: never). */
  liveAt(stream: StreamSpec): number | undefined;
  /** A stream went silent while its connection delivers the others: repair its candles. */
  onSilent(stream: StreamSpec): void;
}

export interface PoolStats {
  open: number;
  total: number;
  /** Connection attempts in the last 5 minutes (Binance allows 300 per IP). */
  recentAttempts: number;
}

/**
 * Owns the WebSocket connections: streams sharded over them (at most
 * `streamsPerConnection` each, URLs under 8,000 characters), every attempt paced by one
 * limiter, a changed stream set applied to the affected connections only, and streams
 * that go silent moved to a fresh connection.
 */
export interface ConnectionPool {
  readonly shards: readonly ShardConnection[];
  /** Starts with these streams. */
  start(streams: StreamSpec[]): void;
  /** The wanted streams changed (a listing, a retired symbol). */
  setStreams(streams: StreamSpec[]): void;
  stop(): void;
  /** Drops every live connection (the `d` key; a mass drop). */
  dropAll(): void;
  restartAll(why: RestartReason): void;
  /** The connection carrying `stream`, if any. */
  shardOf(stream: StreamSpec): ShardConnection | undefined;
  status(): ShardStatus;
  stats(): PoolStats;
}

export function createConnectionPool(options: ConnectionPoolOptions): ConnectionPool {
  const { config, clock } = options;
  const limiter: AttemptLimiter = createAttemptLimiter({ clock });
  const shards: ShardConnection[] = [];
  const byStream = new Map<string, ShardConnection>();
  const silence = new Map<string, SilenceWatch>();
  /** When a stream was added to a running pool (a listing): it is not judged on earlier closes. */
  const joined = new Map<string, number>();
  let nextIndex = 1;
  let stopping = false;
  let cancelLiveness: (() => void) | undefined;
  const limits = { baseUrl: config.wsUrl, maxStreams: config.streamsPerConnection };

  /** Events name their connection only when there is more than one. */
  function emit(event: RecorderEvent): void {
    if ("connection" in event && shards.length <= 1) {
      const { connection: _, ...rest } = event as RecorderEvent & { connection?: number };
      options.emit(rest as RecorderEvent);
    } else options.emit(event);
  }

  function addShard(streams: StreamSpec[]): ShardConnection {
    const shard = createShardConnection({
      index: nextIndex++,
      streams,
      config,
      clock,
      limiter,
      counters: options.counters,
      emit,
      changed: options.changed,
      createSocket: options.createSocket,
      onMessage: options.onMessage,
      onConnected: (s, reason) => options.onConnected(s.streams, reason),
      boundaryWritten: options.boundaryWritten,
    });
    shards.push(shard);
    return shard;
  }

  function index(): void {
    byStream.clear();
    for (const shard of shards) for (const s of shard.streams) byStream.set(klineStreamName(s), shard);
  }

  function checkLiveness(): void {
    cancelLiveness = undefined;
    if (stopping) return;
    const now = clock.now();
    for (const shard of shards) {
      if (shard.status !== "connected") continue;
      const found = silentStreams({
        streams: shard.streams, now, connectedSince: shard.connectedSince, lastMessageAt: shard.lastMessageAt,
        liveAt: options.liveAt, joinedAt: (s) => joined.get(klineStreamName(s)), watches: silence,
      });
      if (found.length === 0) continue;
      for (const { stream, silentMs } of found) {
        emit({ type: "stream_silent", symbol: stream.symbol, interval: stream.interval, silentMs, connection: shard.index });
        options.onSilent(stream);
      }
      shard.restart("silent stream");
    }
    cancelLiveness = clock.setTimeout(checkLiveness, LIVENESS_CHECK_MS);
  }

  const pool: ConnectionPool = {
    shards,
    start(streams) {
      for (const group of reshardStreams([], streams, limits)) addShard(group);
      index();
      for (const shard of shards) shard.start();
      cancelLiveness = clock.setTimeout(checkLiveness, LIVENESS_CHECK_MS);
    },
    setStreams(streams) {
      if (stopping) return;
      for (const s of streams) if (!byStream.has(klineStreamName(s))) joined.set(klineStreamName(s), clock.now());
      const groups = reshardStreams(shards.map((s) => s.streams), streams, limits);
      // Groups keep their order: the first ones map onto the live shards that kept members.
      const live = shards.filter((s) => s.streams.some((spec) => streams.some((w) => klineStreamName(w) === klineStreamName(spec))));
      for (const shard of shards) {
        if (live.includes(shard)) continue;
        shard.stop();
      }
      shards.splice(0, shards.length, ...live);
      for (const [i, group] of groups.entries()) {
        const shard = shards[i];
        if (!shard) addShard(group).start();
        else if (!sameStreams(shard.streams, group)) shard.setStreams(group);
      }
      index();
      options.changed();
    },
    stop() {
      stopping = true;
      cancelLiveness?.();
      for (const shard of shards) shard.stop();
    },
    dropAll() {
      for (const shard of shards) shard.drop();
    },
    restartAll(why) {
      for (const shard of shards) shard.restart(why);
    },
    shardOf: (stream) => byStream.get(klineStreamName(stream)),
    status() {
      if (stopping) return "stopped";
      if (shards.length > 0 && shards.every((s) => s.status === "connected")) return "connected";
      return shards.some((s) => s.status === "reconnecting") ? "reconnecting" : "starting";
    },
    stats: () => ({ open: shards.filter((s) => s.status === "connected").length, total: shards.length, recentAttempts: limiter.recent }),
  };
  return pool;
}
