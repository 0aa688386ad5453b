import { deliverySuffix, quarterlyDeliveries } from "./contracts.ts";
import { BREAK_SHARE, TOP_BASES, freshBase, type SymbolSpec } from "./generate.ts";

/** One TRADING symbol in this many is a quarterly contract (CURRENT_QUARTER, NEXT_QUARTER in turn). */
export const QUARTERLY_EVERY = 20;

/**
 * A whole simulated futures market: `count` TRADING contracts, perpetuals of Binance's
 * biggest bases first (BTCUSDT, ETHUSDT… on USDⓈ-M; BTCUSD_PERP, ETHUSD_PERP… on COIN-M),
 * then of generated bases, with one in QUARTERLY_EVERY a quarterly contract of a base
 * already listed (BTCUSDT_260327, then BTCUSDT_260626, ETH…: the two deliveries after
 * `now`); plus about BREAK_SHARE listed perpetuals not trading yet (status BREAK, shown as
 * PENDING_TRADING). Deterministic from the seed and `now`. Pure.
 */
export function generateFuturesSymbols(market: "usdm" | "coinm", count: number, seed: number, now: number): SymbolSpec[] {
  const quoteAsset = market === "usdm" ? "USDT" : "USD";
  const perpetual = market === "usdm" ? "" : "_PERP";
  const deliveries = quarterlyDeliveries(now).map(deliverySuffix);
  const out: SymbolSpec[] = [];
  const taken = new Set<string>();
  const perpetualBases: string[] = [];
  const names = { seed, next: 0 };
  const add = (baseAsset: string, tail: string, status: SymbolSpec["status"]) => {
    const symbol = baseAsset + quoteAsset + tail;
    taken.add(symbol);
    out.push({ symbol, baseAsset, quoteAsset, status });
  };
  let quarterlies = 0;
  for (let i = 0; i < count; i++) {
    const quarterly = i % QUARTERLY_EVERY === QUARTERLY_EVERY - 1 ? _quarterly(perpetualBases, quarterlies, deliveries) : undefined;
    if (quarterly && !taken.has(quarterly.base + quoteAsset + quarterly.tail)) {
      add(quarterly.base, quarterly.tail, "TRADING");
      quarterlies++;
    } else {
      const base = TOP_BASES[perpetualBases.length] ?? freshBase(names, taken, quoteAsset + perpetual);
      add(base, perpetual, "TRADING");
      perpetualBases.push(base);
    }
    if (Math.floor((i + 1) * BREAK_SHARE) > Math.floor(i * BREAK_SHARE)) add(freshBase(names, taken, quoteAsset + perpetual), perpetual, "BREAK");
  }
  return out;
}

// --- internal ---

/** The k-th quarterly: bases in listing order, each with the current then the next delivery. */
function _quarterly(bases: readonly string[], k: number, deliveries: readonly string[]): { base: string; tail: string } | undefined {
  const base = bases[Math.floor(k / deliveries.length)];
  return base === undefined ? undefined : { base, tail: `_${deliveries[k % deliveries.length]!}` };
}
