import type { Market } from "../exchange/market.ts";
import { hash01, hash32 } from "./random.ts";

/** A symbol as exchangeInfo names it, with the status it starts with. */
export interface SymbolSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  status: "TRADING" | "BREAK";
}

/** Upper bound of a generated market (Binance lists about 3,000 symbols). */
export const MAX_GENERATED_SYMBOLS = 20_000;

/** Share of extra non-TRADING (BREAK) symbols listed beside the generated TRADING ones. */
export const BREAK_SHARE = 0.03;

/**
 * A whole simulated market: `count` TRADING symbols, the first ones Binance's biggest
 * (BTCUSDT, ETHUSDT, BNBUSDT…), then generated bases; quotes about 70 % USDT,
 * 15 % FDUSD, 10 % BTC, 5 % others (pairs of bases already listed, as on Binance);
 * plus about 3 % BREAK symbols spread among them. Deterministic from the seed. Pure.
 */
export function generateSymbols(count: number, seed: number): SymbolSpec[] {
  const out: SymbolSpec[] = [];
  const taken = new Set<string>();
  const usdtBases: string[] = [];
  const names = { seed, next: 0 };
  const add = (baseAsset: string, quoteAsset: string, status: SymbolSpec["status"]) => {
    const spec = { symbol: baseAsset + quoteAsset, baseAsset, quoteAsset, status };
    taken.add(spec.symbol);
    out.push(spec);
    if (quoteAsset === "USDT" && status === "TRADING") usdtBases.push(baseAsset);
  };
  for (let i = 0; i < count; i++) {
    const top = TOP_BASES[i];
    if (top !== undefined) add(top, "USDT", "TRADING");
    else {
      const quote = _quoteFor(seed, i);
      const base = quote === "USDT" ? undefined : _existingBase(seed, i, usdtBases, quote, taken);
      add(base ?? freshBase(names, taken, quote), quote, "TRADING");
    }
    if (Math.floor((i + 1) * BREAK_SHARE) > Math.floor(i * BREAK_SHARE)) add(freshBase(names, taken, "USDT"), "USDT", "BREAK");
  }
  return out;
}

/**
 * A new symbol name not in `taken`, for a listing (the `n`-th one): a USDT pair on spot,
 * a USDT perpetual on USDⓈ-M, a `XXXUSD_PERP` on COIN-M. Pure.
 */
export function listingName(seed: number, n: number, taken: ReadonlySet<string>, market: Market = "spot"): { symbol: string; baseAsset: string; quoteAsset: string } {
  const [quoteAsset, suffix] = market === "coinm" ? ["USD", "_PERP"] : ["USDT", ""];
  const base = freshBase({ seed: seed ^ 0x5a5a5a5a, next: n * 97 }, taken, quoteAsset + suffix);
  return { symbol: base + quoteAsset + suffix, baseAsset: base, quoteAsset };
}

/** Bases of Binance's most traded USDT pairs (2024), in about that order. */
export const TOP_BASES = [
  "BTC", "ETH", "BNB", "SOL", "XRP", "DOGE", "ADA", "TRX", "AVAX", "SHIB", "LINK", "DOT", "TON", "BCH", "NEAR",
  "LTC", "UNI", "PEPE", "ICP", "APT", "ETC", "FIL", "ATOM", "ARB", "OP", "INJ", "SUI", "HBAR", "VET", "RUNE",
  "STX", "IMX", "GRT", "AAVE", "ALGO", "FTM", "SEI", "TIA", "WIF", "BONK",
];

/** A generated base name (ZOKA, MIRETA, XKR, 1000LUMA) for which `base + tail` is not taken; advances `names.next`. */
export function freshBase(names: { seed: number; next: number }, taken: ReadonlySet<string>, tail: string): string {
  for (;;) {
    const base = _baseName(names.seed, names.next++);
    if (!RESERVED.has(base) && !TOP_BASES.includes(base) && !taken.has(base + tail)) return base;
  }
}

// --- internal ---

const OTHER_QUOTES = ["USDC", "TUSD", "ETH", "BNB", "EUR", "TRY", "BRL", "JPY"];
const RESERVED = new Set(["USDT", "FDUSD", "BTC", ...OTHER_QUOTES, "USD", "BUSD"]);
const CONSONANTS = "BCDFGHKLMNPRSTVXZ";
const VOWELS = "AEIOUY";

function _quoteFor(seed: number, i: number): string {
  const r = hash01(seed, i, 0x71);
  if (r < 0.7) return "USDT";
  if (r < 0.85) return "FDUSD";
  if (r < 0.95) return "BTC";
  return OTHER_QUOTES[hash32(seed, i, 0x72) % OTHER_QUOTES.length]!;
}

/** A base already listed against USDT (popular ones more likely), not yet paired with `quote`. */
function _existingBase(seed: number, i: number, bases: readonly string[], quote: string, taken: ReadonlySet<string>): string | undefined {
  for (let attempt = 0; attempt < 8 && bases.length > 0; attempt++) {
    const base = bases[Math.floor(hash01(seed, i, 0x73, attempt) ** 2 * bases.length)]!;
    if (base !== quote && !taken.has(base + quote)) return base;
  }
  return undefined;
}

function _baseName(seed: number, k: number): string {
  const pick = (alphabet: string, salt: number) => alphabet[hash32(seed, k, salt) % alphabet.length]!;
  const style = hash01(seed, k, 0x80);
  if (style < 0.12) return [0, 1, 2].map((j) => pick(CONSONANTS + VOWELS, 0x90 + j)).join("") + (hash01(seed, k, 0x94) < 0.3 ? pick(CONSONANTS, 0x95) : "");
  const syllables = 2 + Math.floor(hash01(seed, k, 0x81) * 2);
  let name = "";
  for (let j = 0; j < syllables; j++) name += pick(CONSONANTS, 0xa0 + j) + pick(VOWELS, 0xb0 + j);
  if (hash01(seed, k, 0x82) < 0.25) name = name.slice(0, -1);
  return style > 0.95 ? `1000${name}` : name;
}
