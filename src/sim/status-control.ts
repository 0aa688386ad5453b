import type { Clock } from "../clock.ts";
import type { Market as MarketName } from "../exchange/market.ts";
import { listingName } from "./generate.ts";
import type { Market } from "./market.ts";
import { hash32 } from "./random.ts";
import { symbolProfile } from "./symbols.ts";

/** Symbol status changes at the current time; each returns the symbol acted on, or a reason it did nothing. */
export interface StatusControl {
  /** Lists `symbol` (or a new generated name: USDT, or XXXUSD_PERP on COIN-M) as TRADING from now. */
  listing(symbol?: string): Outcome;
  /** TRADING → HALT now: `symbol`, or a deterministic one quoted in `mainQuote` that is not the first listed. */
  halt(symbol?: string): Outcome;
  /** HALT → TRADING now: `symbol`, or the last one halted. */
  resume(symbol?: string): Outcome;
}

export type Outcome = { symbol: string } | { why: string };

export interface StatusControlOptions {
  market: Market;
  clock: Clock;
  seed: number;
  /** Which Binance market: the shape of generated listing names. @default "spot" */
  venue?: MarketName;
  /** Quote of the symbols a default halt picks from. @default "USDT" */
  mainQuote?: string;
}

export function createStatusControl(options: StatusControlOptions): StatusControl {
  const { market, clock, seed } = options;
  const mainQuote = options.mainQuote ?? "USDT";
  const halted: string[] = [];
  let listings = 0;
  let halts = 0;
  return {
    listing(symbol) {
      const taken = new Set(market.listings().map((l) => l.symbol));
      const spec = symbol === undefined ? listingName(seed, listings++, taken, options.venue) : _specOf(symbol);
      return market.list(spec, clock.now()) ? { symbol: spec.symbol } : { why: `${spec.symbol} is already listed` };
    },
    halt(symbol) {
      const chosen = symbol ?? pickHaltSymbol(market, seed, halts++, mainQuote);
      if (chosen === undefined) return { why: `no TRADING ${mainQuote} symbol besides the first one` };
      if (!market.halt(chosen, clock.now())) return { why: `${chosen} is not TRADING` };
      halted.push(chosen);
      return { symbol: chosen };
    },
    resume(symbol) {
      const chosen = symbol ?? halted.findLast((s) => market.listing(s)?.status === "HALT");
      if (chosen === undefined) return { why: "no symbol is halted" };
      return market.resume(chosen, clock.now()) ? { symbol: chosen } : { why: `${chosen} is not halted` };
    },
  };
}

/** The `n`-th default halt: a TRADING symbol quoted in `quote` other than the first listed, by the seed. Pure. */
export function pickHaltSymbol(market: Market, seed: number, n: number, quote = "USDT"): string | undefined {
  const all = market.listings();
  const candidates = all.slice(1).filter((l) => l.status === "TRADING" && l.quoteAsset === quote);
  return candidates[hash32(seed, 0x4841, n) % Math.max(1, candidates.length)]?.symbol;
}

/** The `n`-th default silent stream: one of `streams` (any order) by the seed. Pure. */
export function pickStream(streams: Iterable<string>, seed: number, n: number): string | undefined {
  const sorted = [...new Set(streams)].sort();
  return sorted[hash32(seed, 0x5349, n) % Math.max(1, sorted.length)];
}

// --- internal ---

function _specOf(symbol: string): { symbol: string; baseAsset: string; quoteAsset: string } {
  const p = symbolProfile(symbol);
  return { symbol, baseAsset: p.baseAsset, quoteAsset: p.quoteAsset };
}
