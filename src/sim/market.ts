import type { Interval } from "../time/intervals.ts";
import { liveKline, simulatedKline, type SimKline } from "./candles.ts";
import { replayKline, type ReplayTable } from "./replay.ts";

/** What the simulated exchange knows: its symbols and every candle, closed or live. */
export interface Market {
  readonly symbols: readonly string[];
  has(symbol: string): boolean;
  /** Final values of a candle, or undefined when it does not exist (an exchange gap). */
  kline(symbol: string, interval: Interval, openTime: number): SimKline | undefined;
  /** The candle as it stands at `now` (final once `now` is past its close). */
  live(symbol: string, interval: Interval, openTime: number, now: number): SimKline | undefined;
  /** Makes a candle not exist. */
  addGap(symbol: string, interval: Interval, openTime: number): void;
}

export interface MarketOptions {
  symbols: readonly string[];
  seed: number;
  /** Replay table, or undefined for the simulated walk. */
  replay?: ReplayTable;
  /** Replay positions count from the candle containing this time (the simulator's start). */
  originTime: number;
}

export function createMarket(options: MarketOptions): Market {
  const known = new Set(options.symbols);
  const gaps = new Set<string>();
  const kline = (symbol: string, interval: Interval, openTime: number): SimKline | undefined => {
    if (!known.has(symbol) || gaps.has(_gapKey(symbol, interval, openTime))) return undefined;
    return options.replay
      ? replayKline(options.replay, options.seed, symbol, interval, openTime, options.originTime)
      : simulatedKline(options.seed, symbol, interval, openTime);
  };
  return {
    symbols: options.symbols,
    has: (symbol) => known.has(symbol),
    kline,
    live(symbol, interval, openTime, now) {
      const final = kline(symbol, interval, openTime);
      return final && liveKline(final, now);
    },
    addGap(symbol, interval, openTime) {
      gaps.add(_gapKey(symbol, interval, openTime));
    },
  };
}

// --- internal ---

function _gapKey(symbol: string, interval: Interval, openTime: number): string {
  return `${symbol}@${interval}@${openTime}`;
}
