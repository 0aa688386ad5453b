import type { Server, ServerWebSocket } from "bun";
import { systemClock, type Clock } from "../clock.ts";
import { logger } from "../logger.ts";
import type { Interval } from "../time/intervals.ts";
import type { SimKline } from "./candles.ts";
import { applyStreamFault, connectionFromUrl, deliverKline, overIncomingLimit, type Connection } from "./connection.ts";
import { createFaultScheduler, describeFault, parseFaults, type Fault } from "./faults.ts";
import { createFeed } from "./feed.ts";
import { createMarket } from "./market.ts";
import { loadReplay } from "./replay.ts";
import { createRest } from "./rest.ts";
import { handleControlFrame } from "./streams.ts";

export type { SimKline } from "./candles.ts";
export { simulatedKline } from "./candles.ts";

/** Binance cuts every connection after 24 h. */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** Binance pings every 20 s. */
export const PING_INTERVAL_MS = 20_000;

export interface ExchangeOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Symbols that exist (uppercase); any other is an invalid symbol. */
  symbols: string[];
  /** Seed of the simulated market. @default 1 */
  seed?: number;
  /** Fault schedule (see `parseFaults`), counted from the start. */
  faults?: string;
  /** CSV whose rows become the candles (see `parseReplay`). */
  replay?: string;
  /** Each connection is cut after this long. @default DAY_MS */
  dayMs?: number;
  /** @default PING_INTERVAL_MS */
  pingIntervalMs?: number;
  /** Drives candles, pings, the day cut and the fault schedule. @default systemClock */
  clock?: Clock;
  /** Where fired faults are reported. @default logger.withTag("simulate").info */
  log?: (line: string) => void;
}

export interface ExchangeStats {
  /** Connections accepted since the start. */
  connections: number;
  openConnections: number;
  restRequests: number;
  /** Faults fired, by kind. */
  faults: Record<string, number>;
}

/** A running simulated exchange. Fault methods act at once on the connections open now. */
export interface Exchange {
  /** REST base, `http://HOST:PORT`. */
  url: string;
  /** Stream base, `ws://HOST:PORT`. */
  wsUrl: string;
  port: number;
  stop(): Promise<void>;
  /** Final values of a candle; undefined for an exchange gap or an unknown symbol. */
  truth(symbol: string, interval: Interval, openTime: number): SimKline | undefined;
  inject(fault: Fault): void;
  drop(): void;
  close(code: number, reason?: string): void;
  stall(ms: number): void;
  refuse(ms: number): void;
  skipClose(): void;
  dupClose(): void;
  garbage(): void;
  shutdown(): void;
  rest429(count: number): void;
  rest5xx(count: number): void;
  exchangeGap(symbol: string, interval: Interval, openTime: number): void;
  stats(): ExchangeStats;
}

/** Starts the simulated Binance (streams and REST on one port). Bad faults or replay: UserError. */
export async function startExchange(options: ExchangeOptions): Promise<Exchange> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => logger.withTag("simulate").info(line));
  const schedule = options.faults ? parseFaults(options.faults) : undefined;
  const replay = options.replay ? await loadReplay(options.replay) : undefined;
  const market = createMarket({ symbols: options.symbols, seed: options.seed ?? 1, replay, originTime: clock.now() });
  const rest = createRest({ market, clock });
  const feed = createFeed<ServerWebSocket<Connection>>({ market, clock, send: (ws, stream, k, closed) => deliverKline(ws, clock.now(), stream, k, closed) });
  const open = new Set<ServerWebSocket<Connection>>();
  const faultCounts: Record<string, number> = {};
  let connections = 0;
  let refuseUntil = 0;

  const server: Server<Connection> = Bun.serve<Connection>({
    hostname: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    fetch(request, srv) {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/api/")) return rest.handle(request, url);
      const connection = connectionFromUrl(url, connections + 1, clock.now());
      if (!connection) return new Response("Not Found", { status: 404 });
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("Expected a WebSocket upgrade", { status: 400 });
      if (clock.now() < refuseUntil) return new Response("Service Unavailable", { status: 503 });
      connections++;
      return srv.upgrade(request, { data: connection }) ? undefined : new Response("Upgrade failed", { status: 400 });
    },
    websocket: {
      idleTimeout: 0,
      sendPings: false,
      open(ws) {
        open.add(ws);
        for (const stream of ws.data.control.streams) feed.add(stream, ws);
        _startTimers(ws, clock, options.pingIntervalMs ?? PING_INTERVAL_MS, options.dayMs ?? DAY_MS);
      },
      message(ws, message) {
        if (overIncomingLimit(ws.data, clock.now())) return ws.close(1008, "Too many requests");
        if (typeof message !== "string") return;
        const before = ws.data.control.streams;
        const { reply, state } = handleControlFrame(ws.data.control, message);
        ws.data.control = state;
        for (const s of state.streams) if (!before.includes(s)) feed.add(s, ws);
        for (const s of before) if (!state.streams.includes(s)) feed.remove(s, ws);
        ws.send(JSON.stringify(reply));
      },
      ping(ws) {
        if (overIncomingLimit(ws.data, clock.now())) ws.close(1008, "Too many requests");
      },
      close(ws) {
        open.delete(ws);
        for (const cancel of ws.data.cancels) cancel();
        for (const stream of ws.data.control.streams) feed.remove(stream, ws);
      },
    },
  });

  const inject = (fault: Fault): void => {
    faultCounts[fault.kind] = (faultCounts[fault.kind] ?? 0) + 1;
    log(`fault ${describeFault(fault)} (${open.size} open connection${open.size === 1 ? "" : "s"})`);
    if (fault.kind === "refuse") refuseUntil = clock.now() + fault.ms;
    else if (fault.kind === "rest429") rest.inject429(fault.count);
    else if (fault.kind === "rest5xx") rest.inject5xx(fault.count);
    else for (const ws of [...open]) applyStreamFault(ws, fault, clock);
  };
  const scheduler = schedule && createFaultScheduler({ schedule, clock, fire: inject });

  const host = server.hostname ?? "127.0.0.1";
  const hostText = host.includes(":") ? `[${host}]` : host;
  const port = server.port ?? 0;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${hostText}:${port}`,
    wsUrl: `ws://${hostText}:${port}`,
    port,
    stop() {
      stopping ??= (async () => {
        scheduler?.stop();
        feed.stop();
        for (const ws of open) ws.data.cancels.forEach((cancel) => cancel());
        await server.stop(true);
      })();
      return stopping;
    },
    truth: (symbol, interval, openTime) => market.kline(symbol, interval, openTime),
    inject,
    drop: () => inject({ kind: "drop" }),
    close: (code, reason) => inject(reason === undefined ? { kind: "close", code } : { kind: "close", code, reason }),
    stall: (ms) => inject({ kind: "stall", ms }),
    refuse: (ms) => inject({ kind: "refuse", ms }),
    skipClose: () => inject({ kind: "skipclose" }),
    dupClose: () => inject({ kind: "dupclose" }),
    garbage: () => inject({ kind: "garbage" }),
    shutdown: () => inject({ kind: "shutdown" }),
    rest429: (count) => inject({ kind: "rest429", count }),
    rest5xx: (count) => inject({ kind: "rest5xx", count }),
    exchangeGap: (symbol, interval, openTime) => market.addGap(symbol, interval, openTime),
    stats: () => ({ connections, openConnections: open.size, restRequests: rest.requests, faults: { ...faultCounts } }),
  };
}

// --- internal ---

/** Server pings every `pingMs` (none while stalled) and the "day" cut after `dayMs`. */
function _startTimers(ws: ServerWebSocket<Connection>, clock: Clock, pingMs: number, dayMs: number): void {
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
