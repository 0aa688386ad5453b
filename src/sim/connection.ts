import type { ServerWebSocket } from "bun";
import type { Clock } from "../clock.ts";
import type { Fault } from "./faults.ts";
import type { SimKline } from "./candles.ts";
import type { FeedEvent } from "./feed.ts";
import { klineFrame, serverShutdownFrame, streamFrame, type ControlState } from "./streams.ts";

/** After `serverShutdown`, the connection is closed this much later. */
export const SHUTDOWN_CLOSE_DELAY_MS = 1000;

/** Binance spot disconnects a client that sends more than 5 messages (pings and control frames) a second; futures allow 10. */
export const MAX_INCOMING_PER_SECOND = 5;

/** Where a market's stream paths live (see MarketRules). */
export interface StreamPaths {
  /** "" or `/market`: `/ws` and `/stream` follow it. */
  root: string;
  /** `<root>/ws/a/b` names several streams. */
  streamsInPath: boolean;
}

/** One WebSocket client of the simulated exchange, with the faults pending on it. */
export interface Connection {
  id: number;
  control: ControlState;
  /** `timeUnit=MICROSECOND` was asked for. */
  micro: boolean;
  openedAt: number;
  /** Nothing at all is sent before this time (a stall). */
  stalledUntil: number;
  /** Streams whose next close event is not sent. */
  skipClose: Set<string>;
  /** Streams whose next close event is sent twice. */
  dupClose: Set<string>;
  /** Streams not delivered on this connection (`silent`) until it subscribes to them again. */
  silenced: Set<string>;
  /** When the client's recent messages arrived (for the messages-per-second limit). */
  incoming: number[];
  /** A limit closed this connection: its further messages are ignored, not counted. */
  limited: boolean;
  /** Cancels this connection's timers. */
  cancels: (() => void)[];
}

/**
 * Reads a stream URL the way Binance routes it: `/ws`, `/ws/<one stream>`, or
 * `/stream?streams=a/b/c` (combined), after the market's root (`/market/ws/…` on
 * USDⓈ-M, where `/market/ws/a/b` is allowed too). Undefined for anything else
 * (spot's `/ws/a/b` included).
 */
export function connectionFromUrl(url: URL, id: number, now: number, paths: StreamPaths = { root: "", streamsInPath: false }): Connection | undefined {
  if (paths.root !== "" && !url.pathname.startsWith(`${paths.root}/`)) return undefined;
  const path = url.pathname.slice(paths.root.length);
  let streams: string[];
  let combined: boolean;
  if (path === "/ws" || path === "/ws/") [streams, combined] = [[], false];
  else if (path.startsWith("/ws/")) {
    const names = decodeURIComponent(path.slice(4)).split("/");
    if ((names.length > 1 && !paths.streamsInPath) || names.includes("")) return undefined;
    [streams, combined] = [[...new Set(names)], false];
  } else if (path === "/stream" || path === "/stream/") {
    const list = (url.searchParams.get("streams") ?? "").split("/").filter((s) => s !== "");
    [streams, combined] = [[...new Set(list)], true];
  } else return undefined;
  const micro = (url.searchParams.get("timeUnit") ?? "").toUpperCase() === "MICROSECOND";
  return { id, control: { streams, combined }, micro, openedAt: now, stalledUntil: 0, skipClose: new Set(), dupClose: new Set(), silenced: new Set(), incoming: [], limited: false, cancels: [] };
}

/** Records a message from the client; true when it is one more than `limit` in the last second. */
export function overIncomingLimit(c: Connection, now: number, limit = MAX_INCOMING_PER_SECOND): boolean {
  c.incoming = c.incoming.filter((t) => t > now - 1000);
  c.incoming.push(now);
  return c.incoming.length > limit;
}

/** Sends one tick's kline events to `ws` in one corked write. */
export function deliverKlines(ws: ServerWebSocket<Connection>, now: number, events: readonly FeedEvent[]): void {
  if (ws.readyState !== 1 || now < ws.data.stalledUntil) return;
  ws.cork(() => {
    for (const e of events) deliverKline(ws, now, e.stream, e.kline, e.closed);
  });
}

/** Sends a kline event to `ws` unless a stall, a silenced stream or a pending skip says otherwise. */
export function deliverKline(ws: ServerWebSocket<Connection>, now: number, stream: string, kline: SimKline, closed: boolean): void {
  const c = ws.data;
  if (now < c.stalledUntil) return;
  if (c.silenced.size > 0 && c.silenced.has(stream)) return;
  if (closed && c.skipClose.delete(stream)) return;
  const frame = klineFrame(stream, kline, closed, now, c.micro, c.control.combined);
  ws.send(frame);
  if (closed && c.dupClose.delete(stream)) ws.send(frame);
}

/** The faults that act on each open connection alike. */
export type StreamFault = Exclude<Fault, { kind: "refuse" | "rest429" | "rest5xx" | "listing" | "halt" | "resume" | "silent" }>;

/** Applies a stream fault to one connection, at once. */
export function applyStreamFault(ws: ServerWebSocket<Connection>, fault: StreamFault, clock: Clock): void {
  const c = ws.data;
  const now = clock.now();
  switch (fault.kind) {
    case "drop":
      return ws.terminate();
    case "close":
      return ws.close(fault.code, fault.reason ?? "");
    case "stall":
      c.stalledUntil = now + fault.ms;
      return;
    case "skipclose":
      c.skipClose = new Set(c.control.streams);
      return;
    case "dupclose":
      c.dupClose = new Set(c.control.streams);
      return;
    case "garbage":
      return _garbageFrames(c, now).forEach((frame) => ws.send(frame));
    case "shutdown":
      ws.send(serverShutdownFrame(now, c.control.combined));
      c.cancels.push(clock.setTimeout(() => ws.close(1001, "server shutdown"), SHUTDOWN_CLOSE_DELAY_MS));
      return;
  }
}

// --- internal ---

/** Frames that are not kline events: one not JSON, one JSON that only looks like a kline. */
function _garbageFrames(c: Connection, now: number): string[] {
  const stream = c.control.streams[0] ?? "btcusdt@kline_1m";
  return ["}{ this is not JSON", streamFrame(stream, { e: "kline", E: now, s: stream.split("@")[0]!.toUpperCase(), k: "garbage" }, c.control.combined)];
}
