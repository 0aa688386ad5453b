import { hostname } from "node:os";
import { systemClock, type Clock } from "../clock.ts";
import { streamKey } from "../candles/candle.ts";
import type { ResolvedConfig } from "../config/load.ts";
import { backoffDelayMs } from "../stream/backoff.ts";
import { combinedStreamUrl, parseStreamMessage } from "../stream/binance.ts";
import { openConnection, type CloseInfo, type Connection } from "../stream/connection.ts";
import { isAligned } from "../time/intervals.ts";
import type { RecorderEvent } from "./events.ts";
import { nextRestartPlan } from "./restart-schedule.ts";
import { openStreams, type RecordedStream } from "./open-streams.ts";
import { buildRecorderState, type RecorderCounters, type StreamStats } from "./recorder-state.ts";
import type { RecorderState, RecorderStatus } from "../state/state-file.ts";

/** A new connection must deliver within this long, or the old one is kept. */
export const CANDIDATE_TIMEOUT_MS = 30_000;
/**
 * Streaming that stayed healthy this long resets the backoff (first retry immediate again).
 * Counted from the last reactive (re)connect, across proactive swaps: a swap replaces the
 * connection, not the health of the stream.
 */
const STABLE_UPTIME_MS = 5000;

export interface SupervisorOptions {
  config: ResolvedConfig;
  version: string;
  clock?: Clock;
  /** Every event, for logs, alerts and the dashboard. Must not throw or block. */
  onEvent?(event: RecorderEvent): void;
  /** A state change worth persisting (the heartbeat coalesces them). */
  onChange?(): void;
  createSocket?: (url: string) => WebSocket;
}

export interface Supervisor {
  /** Opens every CSV (UserError on a bad file or a live lock) and starts streaming. */
  start(): void;
  /** Idempotent: closes sockets, writes held rows, releases locks. */
  stop(reason: string): void;
  /** The `d` key: drop the live connection now (the backfill must repair it). */
  dropConnection(): void;
  /** The `r` key: a make-before-break restart now. */
  restartNow(): void;
  state(): RecorderState;
  readonly counters: RecorderCounters;
  readonly streams: StreamStats[];
  readonly status: RecorderStatus;
}

/**
 * The recorder: one combined-stream connection for every (symbol, interval), a CSV
 * per stream, REST backfill after every (re)connect, stale-data detection, reconnects
 * with backoff forever, and make-before-break proactive restarts on UTC boundaries.
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const emit = (event: RecorderEvent) => options.onEvent?.(event);
  const changed = () => options.onChange?.();
  const url = combinedStreamUrl(config.wsUrl, config.symbols.flatMap((symbol) => config.intervals.map((interval) => ({ symbol, interval }))));
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

  let active: Connection | undefined;
  let candidate: { conn: Connection; boundary: number; cancel: (() => void)[] } | undefined;
  const retired = new Set<Connection>();
  let everConnected = false;
  let stopping = false;
  let reconnectingSince: number | undefined;
  /** When the stream last came back after a failure (kept across proactive swaps). */
  let healthySince: number | undefined;
  let escalated = false;
  const timers: (() => void)[] = [];
  let cancelRestart: (() => void) | undefined;
  let cancelReconnect: (() => void) | undefined;

  function setStatus(status: RecorderStatus): void {
    if (counters.status === status) return;
    counters.status = status;
    changed();
  }

  function openAll(): void {
    for (const stream of openStreams({ config, clock, emit, changed, onRestRequest: () => counters.restCalls++ })) {
      stats.push(stream.stats);
      byKey.set(stream.stats.key, stream);
    }
  }

  function backfillAll(reason: string): void {
    for (const s of byKey.values()) s.recorder.requestBackfill(reason);
  }

  // --- messages ---

  function onMessage(text: string, conn: Connection): void {
    counters.lastMessageAt = clock.now();
    const msg = parseStreamMessage(text);
    switch (msg.type) {
      case "kline": {
        const entry = byKey.get(streamKey(msg.candle.symbol, msg.candle.interval));
        if (!entry) {
          countMalformed(`kline for a stream we did not ask for: ${msg.candle.symbol}@${msg.candle.interval}`);
          return;
        }
        const s = entry.stats;
        if (s.livePrice !== msg.candle.close) {
          s.previousPrice = s.livePrice;
          s.livePrice = msg.candle.close;
        }
        s.liveAt = counters.lastMessageAt;
        if (msg.closed) entry.recorder.onClosed(msg.candle);
        else entry.recorder.onLive(msg.candle);
        if (candidate && conn === candidate.conn) checkSwap();
        return;
      }
      case "shutdown":
        if (conn !== active) return;
        emit({ type: "server_shutdown" });
        beginRestart(clock.now(), "server shutdown");
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

  // --- connection lifecycle ---

  function connect(): void {
    cancelReconnect = undefined;
    if (stopping) return;
    counters.attempt++;
    counters.nextRetryAt = undefined;
    active = openConnection({ url, clock, staleAfterMs: config.staleAfterMs, onOpen, onMessage, onClose });
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
    counters.connectedSince = conn.openedAt ?? clock.now();
    reconnectingSince = undefined;
    escalated = false;
    counters.error = undefined;
    emit({ type: "connected", url, attempt: counters.attempt });
    setStatus("connected");
    changed();
    backfillAll("connected");
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
      emit({ type: "stream_dead", silentMs: config.staleAfterMs });
    }
    const opened = conn.openedAt !== undefined;
    if (opened) emit({ type: "disconnected", code: info.code, reason: info.reason, upMs: info.upMs, stale: info.stale });
    active = undefined;
    counters.connectedSince = undefined;
    counters.error = info.stale ? "STALE" : info.timedOut ? "CONNECT_TIMEOUT" : `CLOSED_${info.code}`;
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
    if (_wasHealthy(healthySince, counters.lastMessageAt, clock.now())) counters.attempt = 0;
    healthySince = undefined;
    reconnectingSince ??= clock.now();
    setStatus("reconnecting");
    const delay = scheduleReconnect();
    if (!opened) {
      const error = info.timedOut ? "no answer within 10s" : (info.error ?? `closed with ${info.code}`);
      emit({ type: "connect_failed", attempt: counters.attempt, error, retryInMs: delay });
    }
  }

  function scheduleReconnect(): number {
    const delay = backoffDelayMs(counters.attempt + 1, { baseMs: config.reconnectBaseMs, maxMs: config.reconnectMaxMs });
    counters.nextRetryAt = clock.now() + delay;
    if (!escalated && reconnectingSince !== undefined && clock.now() - reconnectingSince >= config.alerts.escalateAfterMs) {
      escalated = true;
      emit({ type: "reconnecting_long", sinceMs: clock.now() - reconnectingSince, attempts: counters.attempt });
    }
    cancelReconnect = clock.setTimeout(connect, delay);
    changed();
    return delay;
  }

  // --- proactive restart, make-before-break ---

  function scheduleRestart(): void {
    cancelRestart?.();
    cancelRestart = undefined;
    counters.nextRestartAt = undefined;
    if (config.restartEveryMs <= 0 || stopping) return;
    const plan = nextRestartPlan(clock.now(), config.restartEveryMs, config.restartMarginMs);
    counters.nextRestartAt = plan.boundary;
    cancelRestart = clock.setTimeout(() => {
      cancelRestart = undefined; // fired: whoever finishes this restart schedules the next
      beginRestart(plan.boundary, "scheduled");
    }, plan.openAt - clock.now());
  }

  function beginRestart(boundary: number, why: "scheduled" | "manual" | "server shutdown"): void {
    if (stopping || candidate) return;
    if (!active || active.state !== "open") {
      if (why === "scheduled") scheduleRestart();
      return;
    }
    if (why === "scheduled" && clock.now() - (active.openedAt ?? 0) < config.minConnectionMs) {
      emit({ type: "proactive_restart_abandoned", boundary, reason: "the connection is younger than min_connection_duration" });
      scheduleRestart();
      return;
    }
    const conn = openConnection({ url, clock, staleAfterMs: config.staleAfterMs, onOpen, onMessage, onClose });
    const deadline = Math.max(boundary, clock.now()) + CANDIDATE_TIMEOUT_MS;
    candidate = {
      conn,
      boundary,
      cancel: [clock.setTimeout(() => checkSwap(), boundary - clock.now()), clock.setTimeout(() => candidateDeadline(), deadline - clock.now())],
    };
  }

  /** Swap once the new connection delivers, the boundary passed, and the candle closing at it is written. */
  function checkSwap(): void {
    if (!candidate || candidate.conn.messages === 0) return;
    if (clock.now() < candidate.boundary) return;
    const boundary = candidate.boundary;
    const written = [...byKey.values()].every((s) => !isAligned(s.recorder.interval, boundary) || (s.recorder.expectNext ?? boundary) >= boundary);
    if (written) swap();
  }

  function candidateDeadline(): void {
    if (!candidate) return;
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
    counters.connectedSince = next.conn.openedAt ?? clock.now();
    emit({ type: "proactive_restart", boundary: next.boundary });
    setStatus("connected");
    changed();
    backfillAll("proactive restart");
    scheduleRestart();
  }

  function dropCandidate(reason: string): void {
    if (!candidate) return;
    const { conn, boundary } = candidate;
    clearCandidate();
    retired.add(conn);
    conn.terminate();
    emit({ type: "proactive_restart_abandoned", boundary, reason });
    scheduleRestart();
  }

  function clearCandidate(): void {
    for (const cancel of candidate?.cancel ?? []) cancel();
    candidate = undefined;
  }

  // --- the interface ---

  const supervisor: Supervisor = {
    start() {
      openAll();
      emit({ type: "started", streams: [...byKey.keys()] });
      backfillAll("start-up");
      connect();
      changed();
    },
    stop(reason) {
      if (stopping) return;
      stopping = true;
      counters.stopReason = reason;
      cancelRestart?.();
      cancelReconnect?.();
      for (const cancel of timers) cancel();
      if (candidate) {
        retired.add(candidate.conn);
        candidate.conn.terminate();
        clearCandidate();
      }
      active?.close(1000, "recorder stopping");
      for (const s of byKey.values()) {
        s.recorder.stop();
        s.writer.close();
        s.stats.csvBytes = s.writer.bytesWritten;
      }
      counters.nextRestartAt = undefined;
      counters.nextRetryAt = undefined;
      counters.connectedSince = undefined;
      setStatus("stopped");
      emit({ type: "stopped", reason });
    },
    dropConnection() {
      active?.terminate();
    },
    restartNow() {
      beginRestart(clock.now(), "manual");
    },
    state() {
      return buildRecorderState({ counters, streams: stats, version: options.version, host: hostname(), pid: process.pid, now: clock.now() });
    },
    counters,
    streams: stats,
    get status() {
      return counters.status;
    },
  };
  return supervisor;
}

// --- internal ---

/** The stream had been up and delivering for STABLE_UPTIME_MS when it failed. */
function _wasHealthy(healthySince: number | undefined, lastMessageAt: number | undefined, now: number): boolean {
  return healthySince !== undefined && now - healthySince >= STABLE_UPTIME_MS && lastMessageAt !== undefined && lastMessageAt >= healthySince;
}
