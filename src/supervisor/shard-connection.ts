import type { Clock } from "../clock.ts";
import type { ResolvedConfig } from "../config/load.ts";
import type { AttemptLimiter } from "../stream/attempt-limiter.ts";
import { backoffDelayMs } from "../stream/backoff.ts";
import { combinedStreamUrl, type StreamSpec } from "../stream/binance.ts";
import { openConnection, type CloseInfo, type Connection } from "../stream/connection.ts";
import type { RecorderEvent } from "./events.ts";
import type { RecorderCounters } from "./recorder-state.ts";
import { nextRestartPlan } from "./restart-schedule.ts";

/** A new connection must deliver within this long, or the old one is kept. */
export const CANDIDATE_TIMEOUT_MS = 30_000;
/**
 * Streaming that stayed healthy this long resets the backoff (first retry immediate again).
 * Counted from the last reactive (re)connect, across proactive swaps: a swap replaces the
 * connection, not the health of the stream.
 */
const STABLE_UPTIME_MS = 5000;

export type ShardStatus = "starting" | "connected" | "reconnecting" | "stopped";
export type RestartReason = "scheduled" | "manual" | "server shutdown" | "streams changed" | "silent stream";

export interface ShardConnectionOptions {
  /** 1-based, for logs: "connection 3". */
  index: number;
  streams: StreamSpec[];
  config: ResolvedConfig;
  clock: Clock;
  /** Every connection attempt of the process goes through it (Binance: 300 per 5 minutes). */
  limiter: AttemptLimiter;
  /** Shared counters: reconnects, restarts and stale detections are counted there. */
  counters: RecorderCounters;
  emit(event: RecorderEvent): void;
  changed(): void;
  createSocket?: (url: string) => WebSocket;
  onMessage(text: string, shard: ShardConnection, conn: Connection): void;
  /** The shard (re)connected or swapped: its streams backfill what they missed. */
  onConnected(shard: ShardConnection, reason: "connected" | "proactive restart"): void;
  /** Every stream of `streams` that closes a candle at `boundary` has written it. */
  boundaryWritten(boundary: number, streams: readonly StreamSpec[]): boolean;
}

/**
 * One connection of the pool as a small state machine: connecting, delivering (with a
 * stale-data watchdog), reconnecting with backoff, and make-before-break restarts (at the
 * UTC boundaries, on a server shutdown, when its streams change or one of them went
 * silent): the new connection takes over only once it delivers and the candles closing at
 * the boundary are written.
 */
export interface ShardConnection {
  readonly index: number;
  readonly streams: readonly StreamSpec[];
  readonly status: ShardStatus;
  readonly connectedSince: number | undefined;
  /** When the live connection last delivered a data frame. */
  readonly lastMessageAt: number | undefined;
  /** Connection attempts since the last stable connection. */
  readonly attempt: number;
  readonly nextRetryAt: number | undefined;
  readonly nextRestartAt: number | undefined;
  /** Why it is reconnecting (kstlib's `error`), else undefined. */
  readonly error: string | undefined;
  start(): void;
  stop(): void;
  /** Drop the live connection now (the `d` key, a test): the backfill repairs it. */
  drop(): void;
  /** A make-before-break restart now. */
  restart(why: RestartReason): void;
  /** New streams for this connection: the next connection carries them (a make-before-break restart if open). */
  setStreams(streams: StreamSpec[]): void;
  /** A kline arrived on `conn`: a pending swap may complete. */
  delivered(conn: Connection): void;
  /** `conn` is the live connection (messages on a retiring one are still routed, but not counted). */
  isActive(conn: Connection): boolean;
  /**
   * `serverShutdown` arrived on `conn`: the live connection moves to a new one (true, to be
   * told); a new connection that has not taken over yet is abandoned (its server is going).
   */
  serverShutdown(conn: Connection): boolean;
}

export function createShardConnection(options: ShardConnectionOptions): ShardConnection {
  const { config, clock, limiter, counters } = options;
  const emit = options.emit;
  const changed = options.changed;
  let streams = [...options.streams];
  let url = combinedStreamUrl(config.wsUrl, streams);

  let status: ShardStatus = "starting";
  let active: Connection | undefined;
  let candidate: { conn: Connection; boundary: number; cancel: (() => void)[] } | undefined;
  const retired = new Set<Connection>();
  let everConnected = false;
  let stopping = false;
  let reconnectingSince: number | undefined;
  /** When the stream last came back after a failure (kept across proactive swaps). */
  let healthySince: number | undefined;
  let escalated = false;
  let attempt = 0;
  let connectedSince: number | undefined;
  let nextRetryAt: number | undefined;
  let nextRestartAt: number | undefined;
  let error: string | undefined;
  let lastMessageAt: number | undefined;
  let cancelRestart: (() => void) | undefined;
  let cancelReconnect: (() => void) | undefined;
  /** A restart asked for while one is under way (the streams changed again). */
  let restartAgain: RestartReason | undefined;

  function setStatus(next: ShardStatus): void {
    if (status === next) return;
    status = next;
    changed();
  }

  function open(): Connection {
    return openConnection({ url, clock, staleAfterMs: config.staleAfterMs, onOpen, onMessage, onClose, createSocket: options.createSocket });
  }

  function onMessage(text: string, conn: Connection): void {
    if (conn === active) lastMessageAt = clock.now();
    options.onMessage(text, shard, conn);
  }

  // --- connection lifecycle ---

  function scheduleConnect(delayMs: number): void {
    cancelReconnect?.();
    let cancelTurn: (() => void) | undefined;
    const cancelDelay = clock.setTimeout(() => {
      cancelTurn = limiter.schedule(connect);
    }, delayMs);
    cancelReconnect = () => {
      cancelDelay();
      cancelTurn?.();
    };
  }

  function connect(): void {
    cancelReconnect = undefined;
    if (stopping) return;
    attempt++;
    nextRetryAt = undefined;
    active = open();
  }

  function onOpen(conn: Connection): void {
    if (conn !== active) return;
    markConnected(conn);
  }

  function markConnected(conn: Connection): void {
    if (everConnected) {
      counters.reconnects++;
      counters.reactiveReconnects++;
    }
    everConnected = true;
    healthySince = clock.now();
    connectedSince = conn.openedAt ?? clock.now();
    reconnectingSince = undefined;
    escalated = false;
    error = undefined;
    emit({ type: "connected", url, attempt, connection: options.index });
    setStatus("connected");
    changed();
    options.onConnected(shard, "connected");
    if (restartAgain) {
      const why = restartAgain;
      restartAgain = undefined;
      beginRestart(clock.now(), why);
    }
    if (!cancelRestart && !candidate) scheduleRestart();
  }

  function onClose(info: CloseInfo, conn: Connection): void {
    if (retired.delete(conn)) return;
    if (candidate && conn === candidate.conn) {
      dropCandidate(`the new connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""}) before taking over`);
      return;
    }
    if (conn !== active) return;
    if (info.stale) {
      counters.staleDetections++;
      emit({ type: "stream_dead", silentMs: config.staleAfterMs, connection: options.index });
    }
    const opened = conn.openedAt !== undefined;
    if (opened) emit({ type: "disconnected", code: info.code, reason: info.reason, upMs: info.upMs, stale: info.stale, connection: options.index });
    active = undefined;
    connectedSince = undefined;
    error = info.stale ? "STALE" : info.timedOut ? "CONNECT_TIMEOUT" : `CLOSED_${info.code}`;
    if (stopping) return;
    if (candidate && candidate.conn.state !== "closed") {
      // The old connection died during a restart: the new one takes over now.
      const next = candidate;
      clearCandidate();
      active = next.conn;
      if (next.conn.state === "open") markConnected(next.conn);
      else setStatus("reconnecting");
      return;
    }
    if (_wasHealthy(healthySince, lastMessageAt, clock.now())) attempt = 0;
    healthySince = undefined;
    reconnectingSince ??= clock.now();
    setStatus("reconnecting");
    const delay = scheduleReconnect();
    if (!opened) {
      const why = info.timedOut ? "no answer within 10s" : (info.error ?? `closed with ${info.code}`);
      emit({ type: "connect_failed", attempt, error: why, retryInMs: delay, connection: options.index });
    }
  }

  function scheduleReconnect(): number {
    const delay = backoffDelayMs(attempt + 1, { baseMs: config.reconnectBaseMs, maxMs: config.reconnectMaxMs });
    nextRetryAt = clock.now() + delay;
    if (!escalated && reconnectingSince !== undefined && clock.now() - reconnectingSince >= config.alerts.escalateAfterMs) {
      escalated = true;
      emit({ type: "reconnecting_long", sinceMs: clock.now() - reconnectingSince, attempts: attempt, connection: options.index });
    }
    scheduleConnect(delay);
    changed();
    return delay;
  }

  // --- proactive restart, make-before-break ---

  function scheduleRestart(): void {
    cancelRestart?.();
    cancelRestart = undefined;
    nextRestartAt = undefined;
    if (config.restartEveryMs <= 0 || stopping) return;
    const plan = nextRestartPlan(clock.now(), config.restartEveryMs, config.restartMarginMs);
    nextRestartAt = plan.boundary;
    cancelRestart = clock.setTimeout(() => {
      cancelRestart = undefined; // fired: whoever finishes this restart schedules the next
      beginRestart(plan.boundary, "scheduled");
    }, plan.openAt - clock.now());
    changed();
  }

  function beginRestart(boundary: number, why: RestartReason): void {
    if (stopping) return;
    if (candidate) {
      // A candidate with the old streams must not take over: try again once it has.
      if (why === "streams changed") restartAgain = why;
      return;
    }
    if (!active || active.state !== "open") {
      if (why === "scheduled") scheduleRestart();
      return;
    }
    if (why === "scheduled" && clock.now() - (active.openedAt ?? 0) < config.minConnectionMs) {
      emit({ type: "proactive_restart_abandoned", boundary, reason: "the connection is younger than min_connection_duration", connection: options.index });
      scheduleRestart();
      return;
    }
    const entry: { conn: Connection; boundary: number; cancel: (() => void)[] } = { conn: undefined as unknown as Connection, boundary, cancel: [] };
    candidate = entry;
    // The attempt waits for its turn with every other connection of the process.
    entry.cancel.push(
      limiter.schedule(() => {
        if (candidate !== entry || stopping) return;
        entry.conn = open();
        const deadline = Math.max(boundary, clock.now()) + CANDIDATE_TIMEOUT_MS;
        entry.cancel.push(clock.setTimeout(() => checkSwap(), boundary - clock.now()), clock.setTimeout(() => candidateDeadline(), deadline - clock.now()));
      }),
    );
  }

  /** Swap once the new connection delivers, the boundary passed, and the candle closing at it is written. */
  function checkSwap(): void {
    if (!candidate?.conn || candidate.conn.messages === 0) return;
    if (clock.now() < candidate.boundary) return;
    if (options.boundaryWritten(candidate.boundary, streams)) swap();
  }

  function candidateDeadline(): void {
    if (!candidate?.conn) return;
    if (candidate.conn.messages > 0) return swap();
    dropCandidate("the new connection delivered nothing within 30s; keeping the old one");
  }

  function swap(): void {
    if (!candidate) return;
    const next = candidate;
    clearCandidate();
    const old = active;
    active = next.conn;
    if (old) {
      retired.add(old);
      old.close(1000, "proactive restart");
    }
    counters.proactiveRestarts++;
    counters.reconnects++;
    connectedSince = next.conn.openedAt ?? clock.now();
    lastMessageAt = clock.now();
    emit({ type: "proactive_restart", boundary: next.boundary, connection: options.index });
    setStatus("connected");
    changed();
    options.onConnected(shard, "proactive restart");
    scheduleRestart();
    if (restartAgain) {
      const why = restartAgain;
      restartAgain = undefined;
      beginRestart(clock.now(), why);
    }
  }

  function dropCandidate(reason: string): void {
    if (!candidate) return;
    const { conn, boundary } = candidate;
    clearCandidate();
    if (conn) {
      retired.add(conn);
      conn.terminate();
    }
    emit({ type: "proactive_restart_abandoned", boundary, reason, connection: options.index });
    scheduleRestart();
  }

  function clearCandidate(): void {
    for (const cancel of candidate?.cancel ?? []) cancel();
    candidate = undefined;
  }

  const shard: ShardConnection = {
    index: options.index,
    get streams() {
      return streams;
    },
    get status() {
      return status;
    },
    get connectedSince() {
      return connectedSince;
    },
    get lastMessageAt() {
      return lastMessageAt;
    },
    get attempt() {
      return attempt;
    },
    get nextRetryAt() {
      return nextRetryAt;
    },
    get nextRestartAt() {
      return nextRestartAt;
    },
    get error() {
      return error;
    },
    start() {
      cancelReconnect = limiter.schedule(connect);
    },
    stop() {
      if (stopping) return;
      stopping = true;
      cancelRestart?.();
      cancelReconnect?.();
      if (candidate) {
        if (candidate.conn) {
          retired.add(candidate.conn);
          candidate.conn.terminate();
        }
        clearCandidate();
      }
      active?.close(1000, "recorder stopping");
      nextRestartAt = undefined;
      nextRetryAt = undefined;
      connectedSince = undefined;
      setStatus("stopped");
    },
    drop() {
      active?.terminate();
    },
    restart(why) {
      beginRestart(clock.now(), why);
    },
    setStreams(next) {
      streams = [...next];
      url = combinedStreamUrl(config.wsUrl, streams);
      if (active?.state === "open") beginRestart(clock.now(), "streams changed");
      else if (candidate) restartAgain = "streams changed";
    },
    delivered(conn) {
      if (candidate && conn === candidate.conn) checkSwap();
    },
    isActive(conn) {
      return conn === active;
    },
    serverShutdown(conn) {
      if (conn === active) {
        beginRestart(clock.now(), "server shutdown");
        return true;
      }
      if (candidate?.conn === conn) dropCandidate("the new connection's server announced a shutdown");
      return false;
    },
  };
  return shard;
}

// --- internal ---

/** The stream had been up and delivering for STABLE_UPTIME_MS when it failed. */
function _wasHealthy(healthySince: number | undefined, lastMessageAt: number | undefined, now: number): boolean {
  return healthySince !== undefined && now - healthySince >= STABLE_UPTIME_MS && lastMessageAt !== undefined && lastMessageAt >= healthySince;
}
