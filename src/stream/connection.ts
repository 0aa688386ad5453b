import type { Clock } from "../clock.ts";
import { describeStreamUrl } from "./binance.ts";

export type ConnectionState = "connecting" | "open" | "closed";

export interface CloseInfo {
  code: number;
  reason: string;
  /** Closed by our stale-data watchdog (no message for staleAfterMs). */
  stale: boolean;
  /** Closed because it never opened within the connect timeout. */
  timedOut: boolean;
  /** How long it was open, ms (0 if it never opened). */
  upMs: number;
  /**
   * The socket's error message, when there was one (e.g. "Failed to connect"), with any
   * URL in it replaced by `describeStreamUrl(url)`: Bun quotes ~1 KB of the combined URL.
   */
  error: string | undefined;
}

export interface ConnectionOptions {
  url: string;
  clock: Clock;
  /** No message or pong for this long = dead: terminate. */
  staleAfterMs: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  onOpen(conn: Connection): void;
  onMessage(text: string, conn: Connection): void;
  /** Called exactly once, whatever ends the connection. */
  onClose(info: CloseInfo, conn: Connection): void;
  /** Sets up the socket; tests and the simulator use the runtime's WebSocket. */
  createSocket?: (url: string) => WebSocket;
}

export interface Connection {
  readonly id: number;
  readonly state: ConnectionState;
  readonly openedAt: number | undefined;
  readonly lastActivityAt: number | undefined;
  /** Data frames received. */
  readonly messages: number;
  /** Close with a close frame; terminate if the peer has not answered in 2 s. */
  close(code?: number, reason?: string): void;
  /** Drop the TCP connection at once (a frozen peer never answers a close frame). */
  terminate(): void;
}

const CLOSE_FALLBACK_MS = 2000;
let nextId = 1;

/**
 * One WebSocket connection with a stale-data watchdog: Bun's client never notices a
 * frozen peer by itself, so any message (or pong) counts as alive and silence for
 * `staleAfterMs` terminates it. Reconnecting is the caller's policy.
 */
export function openConnection(options: ConnectionOptions): Connection {
  const { clock } = options;
  const id = nextId++;
  let state: ConnectionState = "connecting";
  let openedAt: number | undefined;
  let lastActivityAt: number | undefined;
  let messages = 0;
  let stale = false;
  let timedOut = false;
  let error: string | undefined;
  let cancelWatch: (() => void) | undefined;
  let cancelFallback: (() => void) | undefined;

  const socket = (options.createSocket ?? ((url) => new WebSocket(url)))(options.url);

  const conn: Connection = {
    id,
    get state() {
      return state;
    },
    get openedAt() {
      return openedAt;
    },
    get lastActivityAt() {
      return lastActivityAt;
    },
    get messages() {
      return messages;
    },
    close(code = 1000, reason = "") {
      if (state === "closed") return;
      try {
        socket.close(code, reason);
      } catch {
        conn.terminate();
        return;
      }
      cancelFallback ??= clock.setTimeout(() => conn.terminate(), CLOSE_FALLBACK_MS);
    },
    terminate() {
      if (state === "closed") return;
      try {
        (socket as WebSocket & { terminate?: () => void }).terminate?.();
      } catch {}
      // The close event follows at once; finish here too in case it does not.
      finish(1006, "terminated");
    },
  };

  function alive(): void {
    lastActivityAt = clock.now();
  }

  function watch(): void {
    cancelWatch?.();
    const since = lastActivityAt ?? clock.now();
    const due = since + options.staleAfterMs - clock.now();
    cancelWatch = clock.setTimeout(() => {
      if (state !== "open") return;
      if (clock.now() - (lastActivityAt ?? 0) >= options.staleAfterMs) {
        stale = true;
        conn.terminate();
      } else watch();
    }, due);
  }

  function finish(code: number, reason: string): void {
    if (state === "closed") return;
    const upMs = openedAt === undefined ? 0 : clock.now() - openedAt;
    state = "closed";
    cancelWatch?.();
    cancelFallback?.();
    options.onClose({ code, reason, stale, timedOut, upMs, error }, conn);
  }

  const cancelConnectTimeout = clock.setTimeout(() => {
    if (state !== "connecting") return;
    timedOut = true;
    conn.terminate();
  }, options.connectTimeoutMs ?? 10_000);

  socket.addEventListener("open", () => {
    if (state !== "connecting") return;
    cancelConnectTimeout();
    state = "open";
    openedAt = clock.now();
    alive();
    watch();
    options.onOpen(conn);
  });
  socket.addEventListener("message", (event: MessageEvent) => {
    if (state !== "open") return;
    alive();
    messages++;
    const data = event.data;
    options.onMessage(typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8"), conn);
  });
  // The server's pings are answered by the runtime but prove nothing about the data: a
  // stream can keep pinging while sending no klines (a known Binance failure). Only data
  // frames, and pongs to pings of our own, count as alive.
  socket.addEventListener("pong" as "open", () => alive());
  socket.addEventListener("error", (event: Event) => {
    error = _scrubUrls((event as ErrorEvent).message || "connection error", options.url);
  });
  socket.addEventListener("close", (event: CloseEvent) => {
    cancelConnectTimeout();
    finish(event.code, event.reason);
  });
  return conn;
}

// --- internal ---

const URL_IN_TEXT = /\b(?:wss?|https?):\/\/[^\s'"<>]+/gi;

/**
 * "WebSocket connection to 'ws://host/stream?streams=…' failed" → "… to 'host/stream
 * (600 streams)' failed". Bun quotes the URL with its middle cut out ("...") past ~1 KB,
 * so the quoted text cannot be described; any URL in the socket's own error is its URL.
 */
function _scrubUrls(text: string, url: string): string {
  return text.replace(URL_IN_TEXT, () => describeStreamUrl(url));
}
