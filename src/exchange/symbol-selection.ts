import type { SymbolInfo } from "./exchange-info.ts";
import { inShard, type SymbolShard } from "./symbol-shard.ts";

export interface SymbolWant {
  /** "all" trading spot symbols, or these names (any case). */
  symbols: "all" | string[];
  /** With "all": only these quote assets (any case). Not applied to an explicit list. */
  quote?: string[];
  /** Never these (any case). */
  exclude?: string[];
  /** `--shard K/N`: only the symbols of shard K (see symbol-shard.ts). */
  shard?: SymbolShard;
}

export interface SymbolSelection {
  /** Symbols to record, sorted. */
  trading: string[];
  /**
   * Named explicitly and listed, but not TRADING (status as Binance says it) or not open
   * to spot trading (status then ends in " (spot trading not allowed)").
   */
  halted: { symbol: string; status: string }[];
  /** Named explicitly and not listed at all (a typo, or delisted). */
  unknown: string[];
}

/**
 * Which symbols to record, from exchangeInfo's list. With "all": every TRADING spot
 * symbol (of the wanted quotes) minus the excluded. With a list: the named ones, sorted
 * into trading, halted and unknown, minus the excluded. Either way, with a shard, only
 * the symbols of that shard. Names come out upper-case.
 */
export function selectSymbols(symbols: SymbolInfo[], want: SymbolWant): SymbolSelection {
  const exclude = new Set((want.exclude ?? []).map(_upper));
  if (want.symbols === "all") {
    const quotes = want.quote ? new Set(want.quote.map(_upper)) : undefined;
    const trading = symbols.filter((s) => _isTrading(s) && (!quotes || quotes.has(_upper(s.quoteAsset))) && !exclude.has(_upper(s.symbol)));
    return { trading: _sorted(inShard(trading.map((s) => _upper(s.symbol)), want.shard)), halted: [], unknown: [] };
  }
  const known = new Map(symbols.map((s) => [_upper(s.symbol), s]));
  const out: SymbolSelection = { trading: [], halted: [], unknown: [] };
  for (const name of _sorted(inShard(want.symbols.map(_upper), want.shard))) {
    if (exclude.has(name)) continue;
    const info = known.get(name);
    if (!info) out.unknown.push(name);
    else if (!_isTrading(info)) out.halted.push({ symbol: name, status: info.spotTradingAllowed ? info.status : `${info.status} (spot trading not allowed)` });
    else out.trading.push(name);
  }
  return out;
}

/** Symbols that appeared in `after` and disappeared from `before`, sorted. */
export function diffSymbols(before: Iterable<string>, after: Iterable<string>): { added: string[]; removed: string[] } {
  const was = new Set(before);
  const is = new Set(after);
  return { added: _sorted([...is].filter((s) => !was.has(s))), removed: _sorted([...was].filter((s) => !is.has(s))) };
}

// --- internal ---

/** Spot: TRADING and open to spot trading. Futures: a TRADING contract, perpetual or delivery (any contract type but none). */
function _isTrading(s: SymbolInfo): boolean {
  return s.status === "TRADING" && s.spotTradingAllowed && s.contractType !== "";
}

function _upper(name: string): string {
  return name.trim().toUpperCase();
}

/** Unique and in code-unit order (stable across locales). */
function _sorted(names: string[]): string[] {
  return [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
