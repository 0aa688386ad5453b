import type { Server } from "bun";
import { systemClock, type Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import type { Market } from "../exchange/market.ts";
import { logger } from "../logger.ts";
import type { Interval } from "../time/intervals.ts";
import type { SimKline } from "./candles.ts";
import { deliverKlines, type Connection } from "./connection.ts";
import { createFaultActions } from "./fault-actions.ts";
import { createFaultScheduler, parseFaults, type Fault } from "./faults.ts";
import { createFeed } from "./feed.ts";
import { createGate } from "./gate.ts";
import { MAX_GENERATED_SYMBOLS, generateSymbols, type SymbolSpec } from "./generate.ts";
import { generateFuturesSymbols } from "./generate-futures.ts";
import { createLimitReporter, type LimitCounts } from "./limits.ts";
import { createMarket } from "./market.ts";
import { marketRules, type MarketRules } from "./market-rules.ts";
import { loadReplay } from "./replay.ts";
import { createRest } from "./rest.ts";
import { createSocketHandlers, type SimSocket } from "./sockets.ts";
import { symbolProfile } from "./symbols.ts";

export type { SimKline } from "./candles.ts";
export { simulatedKline } from "./candles.ts";

/** Binance cuts every connection after 24 h. */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** Binance pings every 20 s. */
export const PING_INTERVAL_MS = 20_000;
/** `GET` this path for `stats()` as JSON (not REST: no weight, no faults). */
export const STATS_PATH = "/sim/stats";

export interface ExchangeOptions {
  /**
   * The Binance market served: its REST path (`/api/v3`, `/fapi/v1`, `/dapi/v1`, and
   * nothing else), stream paths (`/ws`, `/stream`; `/market/ws`, `/market/stream` on
   * usdm), limits and exchangeInfo shape. @default "spot"
   */
  market?: Market;
  /** @default 0 (a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Symbols that exist (uppercase), all TRADING; any other is an invalid symbol. Ignored with `generate`. */
  symbols: string[];
  /**
   * Generate a whole market instead: this many TRADING symbols (BTCUSDT, ETHUSDT, … then
   * generated names; quotes about 70 % USDT, 15 % FDUSD, 10 % BTC, 5 % others) plus about
   * 3 % BREAK symbols without candles. On futures, perpetuals (XXXUSDT on usdm,
   * XXXUSD_PERP on coinm) with one in 20 a quarterly (XXXUSDT_260327), plus about 3 %
   * PENDING_TRADING. Deterministic from the seed (and, for quarterlies, the start time). @default undefined
   */
  generate?: number;
  /** REQUEST_WEIGHT per minute of the REST API. @default 6000 on spot, 2400 on futures */
  restWeightLimit?: number;
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
  /**
   * Where fired faults (level "info") and limit violations (level "warn") are reported.
   * @default logger.withTag("simulate") at the level given
   */
  log?: (line: string, level?: "info" | "warn") => void;
}

export interface ExchangeStats {
  /** Connections accepted since the start. */
  connections: number;
  openConnections: number;
  restRequests: number;
  /** Faults fired (injected rest429 included), by kind. */
  faults: Record<string, number>;
  /** Refusals by Binance's limits (see `LimitCounts`). */
  limits: LimitCounts;
  /** Stream subscriptions on the open connections, summed. */
  streamsServed: number;
  /** The most REST weight used in one UTC minute so far. */
  peakWeightPerMinute: number;
}

/** A running simulated exchange. Fault methods act at once (on the connections open now). */
export interface Exchange {
  market: Market;
  /** REST base, `http://HOST:PORT` (the market's path, e.g. `/fapi/v1`, follows it). */
  url: string;
  /** Stream base, `ws://HOST:PORT` (`ws://HOST:PORT/market` on usdm): `/ws/…` and `/stream?streams=…` follow it. */
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
  /** Lists `symbol` (or a new generated USDT name) as TRADING now; the symbol, or undefined when nothing was done. */
  listing(symbol?: string): string | undefined;
  /** Halts `symbol` (or a deterministic USDT one, not the first) now; the symbol, or undefined. */
  halt(symbol?: string): string | undefined;
  /** Resumes a halted `symbol` now (undefined: the last halted); the symbol, or undefined. */
  resume(symbol?: string): string | undefined;
  /** Stops `stream` (or a deterministic subscribed one) on the connections open now; the stream, or undefined. */
  silent(stream?: string): string | undefined;
  exchangeGap(symbol: string, interval: Interval, openTime: number): void;
  stats(): ExchangeStats;
}

/** Starts the simulated Binance (streams and REST on one port). Bad faults or replay: UserError. */
export async function startExchange(options: ExchangeOptions): Promise<Exchange> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? _defaultLog;
  const seed = options.seed ?? 1;
  const rules = marketRules(options.market ?? "spot");
  const schedule = options.faults ? parseFaults(options.faults) : undefined;
  const replay = options.replay ? await loadReplay(options.replay) : undefined;
  const market = createMarket({ symbols: _initialSymbols(options, seed, rules, clock.now()), seed, replay, originTime: clock.now() });
  const limits = createLimitReporter(clock, (line) => log(line, "warn"));
  const rest = createRest({ market, clock, rules, weightLimit: options.restWeightLimit ?? rules.requestWeightPerMinute, onLimit: (kind, detail) => limits.hit(kind, detail) });
  const feed = createFeed<SimSocket>({ market, clock, intervals: rules.intervals, deliver: (ws, events) => deliverKlines(ws, clock.now(), events) });
  const open = new Set<SimSocket>();
  const faults = createFaultActions({ clock, log: (line) => log(line, "info"), rest, market, seed, open, rules });
  const apply = faults.apply;
  let connections = 0;
  const gate = createGate({ clock, limits, rules, refuseUntil: faults.refuseUntil });
  const stats = (): ExchangeStats => ({
    connections,
    openConnections: open.size,
    restRequests: rest.requests,
    faults: faults.counts(),
    limits: limits.counts(),
    streamsServed: [...open].reduce((sum, ws) => sum + ws.data.control.streams.length, 0),
    peakWeightPerMinute: rest.peakWeightPerMinute,
  });

  const server: Server<Connection> = Bun.serve<Connection>({
    hostname: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    fetch(request, srv) {
      const url = new URL(request.url);
      if (url.pathname === STATS_PATH) return Response.json(stats());
      const admission = gate.admit(request, url, connections + 1);
      if (admission.kind === "answer") return admission.response;
      if (admission.kind === "rest") return rest.handle(request, url);
      if (!srv.upgrade(request, { data: admission.connection })) return new Response("Upgrade failed", { status: 400 });
      connections++;
      return undefined;
    },
    websocket: createSocketHandlers({
      clock,
      feed,
      limits,
      open,
      pingIntervalMs: options.pingIntervalMs ?? PING_INTERVAL_MS,
      dayMs: options.dayMs ?? DAY_MS,
      messagesPerSecond: rules.messagesPerSecond,
    }),
  });

  const scheduler = schedule && createFaultScheduler({ schedule, clock, fire: (fault) => void apply(fault) });

  const host = server.hostname ?? "127.0.0.1";
  const hostText = host.includes(":") ? `[${host}]` : host;
  const port = server.port ?? 0;
  let stopping: Promise<void> | undefined;
  return {
    market: rules.market,
    url: `http://${hostText}:${port}`,
    wsUrl: `ws://${hostText}:${port}${rules.streamRoot}`,
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
    inject: (fault) => void apply(fault),
    drop: () => void apply({ kind: "drop" }),
    close: (code, reason) => void apply(reason === undefined ? { kind: "close", code } : { kind: "close", code, reason }),
    stall: (ms) => void apply({ kind: "stall", ms }),
    refuse: (ms) => void apply({ kind: "refuse", ms }),
    skipClose: () => void apply({ kind: "skipclose" }),
    dupClose: () => void apply({ kind: "dupclose" }),
    garbage: () => void apply({ kind: "garbage" }),
    shutdown: () => void apply({ kind: "shutdown" }),
    rest429: (count) => void apply({ kind: "rest429", count }),
    rest5xx: (count) => void apply({ kind: "rest5xx", count }),
    listing: (symbol) => apply(symbol === undefined ? { kind: "listing" } : { kind: "listing", symbol }),
    halt: (symbol) => apply(symbol === undefined ? { kind: "halt" } : { kind: "halt", symbol }),
    resume: (symbol) => apply({ kind: "resume", symbol }),
    silent: (stream) => apply(stream === undefined ? { kind: "silent" } : { kind: "silent", stream }),
    exchangeGap: (symbol, interval, openTime) => market.addGap(symbol, interval, openTime),
    stats,
  };
}

// --- internal ---

function _defaultLog(line: string, level: "info" | "warn" = "info"): void {
  logger.withTag("simulate")[level](line);
}

/** The symbols listed at the start: a generated market, or the names given, all TRADING. */
function _initialSymbols(options: ExchangeOptions, seed: number, rules: MarketRules, now: number): SymbolSpec[] {
  if (options.generate === undefined) {
    return [...new Set(options.symbols)].map((symbol) => {
      const p = symbolProfile(symbol);
      return { symbol, baseAsset: p.baseAsset, quoteAsset: p.quoteAsset, status: "TRADING" };
    });
  }
  if (!Number.isInteger(options.generate) || options.generate < 1 || options.generate > MAX_GENERATED_SYMBOLS) {
    throw new UserError(`generate: ${options.generate} symbols is not 1..${MAX_GENERATED_SYMBOLS}`);
  }
  return rules.market === "spot" ? generateSymbols(options.generate, seed) : generateFuturesSymbols(rules.market, options.generate, seed, now);
}
