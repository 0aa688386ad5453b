import type { Interval } from "../time/intervals.ts";
import { liveKline, simulatedKline, type SimKline } from "./candles.ts";
import type { SymbolSpec } from "./generate.ts";
import { replayKline, type ReplayTable } from "./replay.ts";
import { candleExists, haltPeriods, nextTradingOpen, previousTradingOpen, resumePeriods, type TradingPeriod } from "./trading-periods.ts";

export type SymbolStatus = "TRADING" | "HALT" | "BREAK";

/** A symbol as exchangeInfo shows it now, and when it traded. */
export interface SymbolListing {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  status: SymbolStatus;
  periods: readonly TradingPeriod[];
}

/** What the simulated exchange knows: its symbols, their status, and every candle, closed or live. */
export interface Market {
  /** Every symbol listed now (TRADING, HALT and BREAK), in listing order. */
  listings(): readonly SymbolListing[];
  /** A listed symbol; undefined before its listing or for a name never listed. */
  listing(symbol: string): SymbolListing | undefined;
  has(symbol: string): boolean;
  /** Final values of a candle, or undefined when it does not exist (a gap, a halt, before the listing). */
  kline(symbol: string, interval: Interval, openTime: number): SimKline | undefined;
  /** The candle as it stands at `now` (final once `now` is past its close). */
  live(symbol: string, interval: Interval, openTime: number, now: number): SimKline | undefined;
  /** Makes a candle not exist. */
  addGap(symbol: string, interval: Interval, openTime: number): void;
  /** The first open time ≥ `t` (aligned) the symbol traded at, ignoring gaps; Infinity when none. */
  nextTradingOpen(symbol: string, interval: Interval, t: number): number;
  /** The last open time ≤ `t` (aligned) the symbol traded at, ignoring gaps; -Infinity when none. */
  previousTradingOpen(symbol: string, interval: Interval, t: number): number;
  /** A new TRADING symbol from `at` (a BREAK one trades again). False when it already trades or is halted. */
  list(spec: Omit<SymbolSpec, "status">, at: number): boolean;
  /** TRADING → HALT at `at`; false when the symbol is not TRADING. */
  halt(symbol: string, at: number): boolean;
  /** HALT → TRADING at `at`; false when the symbol is not HALT. */
  resume(symbol: string, at: number): boolean;
}

export interface MarketOptions {
  /** The symbols listed at the start; TRADING ones have traded since forever. */
  symbols: readonly SymbolSpec[];
  seed: number;
  /** Replay table, or undefined for the simulated walk. */
  replay?: ReplayTable;
  /** Replay positions count from the candle containing this time (the simulator's start). */
  originTime: number;
}

export function createMarket(options: MarketOptions): Market {
  const listed = new Map<string, SymbolListing>();
  for (const s of options.symbols) listed.set(s.symbol, { ...s, periods: s.status === "TRADING" ? [{ from: -Infinity }] : [] });
  const gaps = new Set<string>();
  const cache = new Map<string, SimKline>();
  const kline = (symbol: string, interval: Interval, openTime: number): SimKline | undefined => {
    const entry = listed.get(symbol);
    if (!entry || !candleExists(entry.periods, interval, openTime)) return undefined;
    if (gaps.size > 0 && gaps.has(_key(symbol, interval, openTime))) return undefined;
    return _cached(cache, symbol, interval, openTime, () =>
      options.replay
        ? replayKline(options.replay, options.seed, symbol, interval, openTime, options.originTime)
        : simulatedKline(options.seed, symbol, interval, openTime),
    );
  };
  const change = (symbol: string, from: SymbolStatus, to: SymbolStatus, periods: (p: readonly TradingPeriod[]) => TradingPeriod[]) => {
    const entry = listed.get(symbol);
    if (entry?.status !== from) return false;
    listed.set(symbol, { ...entry, status: to, periods: periods(entry.periods) });
    return true;
  };
  return {
    listings: () => [...listed.values()],
    listing: (symbol) => listed.get(symbol),
    has: (symbol) => listed.has(symbol),
    kline,
    live(symbol, interval, openTime, now) {
      const final = kline(symbol, interval, openTime);
      return final && liveKline(final, now);
    },
    addGap(symbol, interval, openTime) {
      gaps.add(_key(symbol, interval, openTime));
    },
    nextTradingOpen: (symbol, interval, t) => nextTradingOpen(listed.get(symbol)?.periods ?? [], interval, t),
    previousTradingOpen: (symbol, interval, t) => previousTradingOpen(listed.get(symbol)?.periods ?? [], interval, t),
    list(spec, at) {
      const entry = listed.get(spec.symbol);
      if (entry) return change(spec.symbol, "BREAK", "TRADING", (p) => resumePeriods(p, at));
      listed.set(spec.symbol, { ...spec, status: "TRADING", periods: [{ from: at }] });
      return true;
    },
    halt: (symbol, at) => change(symbol, "TRADING", "HALT", (p) => haltPeriods(p, at)),
    resume: (symbol, at) => change(symbol, "HALT", "TRADING", (p) => resumePeriods(p, at)),
  };
}

// --- internal ---

function _key(symbol: string, interval: Interval, openTime: number): string {
  return `${symbol}@${interval}@${openTime}`;
}

/**
 * The last candle computed per symbol and interval: a live stream asks for the same
 * open candle on every update, and its close event asks once more.
 */
function _cached(cache: Map<string, SimKline>, symbol: string, interval: Interval, openTime: number, compute: () => SimKline | undefined): SimKline | undefined {
  const slot = `${symbol}@${interval}`;
  const hit = cache.get(slot);
  if (hit?.openTime === openTime) return hit;
  const value = compute();
  if (value) cache.set(slot, value);
  return value;
}
