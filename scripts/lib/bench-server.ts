import type { Server, ServerWebSocket } from "bun";

/** Per-connection data: the parsed stream list and a waiter for the next drain. */
export interface BenchSocketData {
  id: number;
  streams: string[];
  drained?: () => void;
}
export type BenchSocket = ServerWebSocket<BenchSocketData>;

export interface BenchServerOptions {
  /** A client connected to `/stream?streams=…` (or `/ws/…`). */
  onOpen(ws: BenchSocket): void;
  onMessage?(ws: BenchSocket, text: string): void;
  onClose?(ws: BenchSocket): void;
  /** Rows for `GET /api/v3/klines` (Binance's 12-field arrays). @default none: `[]` */
  klines?(query: { symbol: string; interval: string; startTime: number; limit: number }): unknown[];
}

export interface BenchServer {
  url: string;
  wsUrl: string;
  /** WebSocket connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

/**
 * A bare Binance-shaped server for benchmarks: combined-stream WebSockets whose traffic
 * the benchmark drives itself, and a minimal `/api/v3/klines`. Port 0, localhost.
 */
export function startBenchServer(options: BenchServerOptions): BenchServer {
  let connections = 0;
  const server: Server<BenchSocketData> = Bun.serve<BenchSocketData>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      const url = new URL(request.url);
      if (url.pathname === "/api/v3/klines") {
        const q = url.searchParams;
        const rows = options.klines?.({ symbol: q.get("symbol") ?? "", interval: q.get("interval") ?? "", startTime: Number(q.get("startTime") ?? 0), limit: Number(q.get("limit") ?? 500) }) ?? [];
        return Response.json(rows);
      }
      const streams = url.pathname.startsWith("/ws/") ? [url.pathname.slice(4)] : (url.searchParams.get("streams") ?? "").split("/").filter(Boolean);
      if (srv.upgrade(request, { data: { id: ++connections, streams } })) return undefined;
      return new Response("Expected a WebSocket upgrade", { status: 400 });
    },
    websocket: {
      idleTimeout: 0,
      open: (ws) => options.onOpen(ws),
      message: (ws, message) => options.onMessage?.(ws, typeof message === "string" ? message : Buffer.from(message).toString()),
      drain(ws) {
        const waiter = ws.data.drained;
        ws.data.drained = undefined;
        waiter?.();
      },
      close: (ws) => {
        ws.data.drained?.();
        options.onClose?.(ws);
      },
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    wsUrl: `ws://127.0.0.1:${server.port}`,
    get connections() {
      return connections;
    },
    stop: () => server.stop(true),
  };
}

/** Frames corked into one write: the server must outpace the client under test. */
const CORK_FRAMES = 64;

/**
 * Sends `frames` in order, corked in batches, waiting for `drain` whenever the socket's
 * buffer is full (never drops a frame). Resolves with the frames sent; stops early when
 * the socket closes.
 */
export async function sendAll(ws: BenchSocket, frames: readonly string[]): Promise<number> {
  let sent = 0;
  while (sent < frames.length) {
    let result = 1;
    ws.cork(() => {
      const end = Math.min(frames.length, sent + CORK_FRAMES);
      while (sent < end && result > 0) {
        result = ws.sendText(frames[sent]!);
        if (result !== 0) sent++;
      }
    });
    if (result === 0) return sent; // closed: dropped
    if (result === -1) {
      await new Promise<void>((resolve) => (ws.data.drained = resolve));
      if (ws.readyState !== 1) return sent;
    }
  }
  return sent;
}
