import type { ServerWebSocket, WebSocketHandler } from "bun";
import type { Clock } from "../clock.ts";
import { MAX_INCOMING_PER_SECOND, overIncomingLimit, type Connection } from "./connection.ts";
import type { Feed } from "./feed.ts";
import { MAX_STREAMS_PER_CONNECTION, type LimitReporter } from "./limits.ts";
import { handleControlFrame } from "./streams.ts";

export type SimSocket = ServerWebSocket<Connection>;

export interface SocketOptions {
  clock: Clock;
  feed: Feed<SimSocket>;
  limits: LimitReporter;
  /** Connections open now; the handlers keep it up to date. */
  open: Set<SimSocket>;
  pingIntervalMs: number;
  dayMs: number;
  /** Incoming messages a connection may send per second. @default MAX_INCOMING_PER_SECOND (5, spot) */
  messagesPerSecond?: number;
}

/**
 * The WebSocket side of the simulated exchange: subscriptions into the feed, control
 * frames, server pings, the day cut, and Binance's per-connection limits (incoming
 * messages a second, pings and pongs included: 5 on spot, 10 on futures; 1024 streams).
 */
export function createSocketHandlers(options: SocketOptions): WebSocketHandler<Connection> {
  const { clock, feed, limits, open } = options;
  const perSecond = options.messagesPerSecond ?? MAX_INCOMING_PER_SECOND;
  /** True when the message broke the rate limit (the connection is then closed). */
  const overLimit = (ws: SimSocket, what: string): boolean => {
    if (ws.data.limited) return true;
    if (!overIncomingLimit(ws.data, clock.now(), perSecond)) return false;
    ws.data.limited = true;
    limits.hit("messages1008", `connection ${ws.data.id} sent more than ${perSecond} messages in a second (the last a ${what})`);
    ws.close(1008, "Too many requests");
    return true;
  };
  return {
    idleTimeout: 0,
    sendPings: false,
    open(ws) {
      open.add(ws);
      for (const stream of ws.data.control.streams) feed.add(stream, ws);
      _startTimers(ws, clock, options.pingIntervalMs, options.dayMs);
    },
    message(ws, message) {
      if (overLimit(ws, "message") || typeof message !== "string") return;
      const before = ws.data.control.streams;
      const { reply, state, close } = handleControlFrame(ws.data.control, message, MAX_STREAMS_PER_CONNECTION);
      ws.send(JSON.stringify(reply));
      if (close) {
        ws.data.limited = true;
        limits.hit("tooManyStreams", `connection ${ws.data.id} subscribed past ${MAX_STREAMS_PER_CONNECTION} streams`);
        return ws.close(close.code, close.reason);
      }
      ws.data.control = state;
      if (ws.data.silenced.size > 0 && !("error" in reply)) _unsilence(ws, message);
      if (state.streams === before) return;
      const after = new Set(state.streams);
      const was = new Set(before);
      for (const s of state.streams) if (!was.has(s)) feed.add(s, ws);
      for (const s of before) if (!after.has(s)) feed.remove(s, ws);
    },
    ping(ws) {
      overLimit(ws, "ping");
    },
    pong(ws) {
      overLimit(ws, "pong");
    },
    close(ws) {
      open.delete(ws);
      for (const cancel of ws.data.cancels) cancel();
      for (const stream of ws.data.control.streams) feed.remove(stream, ws);
    },
  };
}

// --- internal ---

/** A SUBSCRIBE naming a silenced stream delivers it again. */
function _unsilence(ws: SimSocket, message: string): void {
  const request = JSON.parse(message) as { method?: unknown; params?: unknown };
  if (request.method !== "SUBSCRIBE" || !Array.isArray(request.params)) return;
  for (const name of request.params) if (typeof name === "string") ws.data.silenced.delete(name);
}

/** Server pings every `pingMs` (none while stalled) and the "day" cut after `dayMs`. */
function _startTimers(ws: SimSocket, clock: Clock, pingMs: number, dayMs: number): void {
  let cancelPing = () => {};
  const ping = () => {
    const now = clock.now();
    if (now >= ws.data.stalledUntil) ws.ping(String(now));
    cancelPing = clock.setTimeout(ping, pingMs);
  };
  cancelPing = clock.setTimeout(ping, pingMs);
  ws.data.cancels.push(() => cancelPing());
  ws.data.cancels.push(clock.setTimeout(() => ws.close(1001, ""), dayMs));
}
