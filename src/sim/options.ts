import { parseList } from "../commands/_args.ts";
import { UserError } from "../errors.ts";
import { MARKETS, isMarket, type Market } from "../exchange/market.ts";
import { parseDuration } from "../time/duration.ts";
import type { ExchangeOptions } from "./exchange.ts";
import { MAX_GENERATED_SYMBOLS } from "./generate.ts";
import { parseFaults } from "./faults.ts";
import { SYMBOL_PATTERN } from "./symbols.ts";

/** `resilience simulate` flags, as citty hands them over (strings). */
export interface SimulateArgs {
  /** spot, usdm or coinm. */
  market?: string;
  port?: string;
  host?: string;
  symbol?: string;
  /** A generated market of N TRADING symbols (exclusive with `symbol`). */
  symbols?: string;
  /** REQUEST_WEIGHT per minute. */
  restWeight?: string;
  faults?: string;
  replay?: string;
  seed?: string;
  day?: string;
}

export const DEFAULT_SIM_PORT = 9443;
export const DEFAULT_SIM_SYMBOLS = ["BTCUSDT", "ETHUSDT", "PEPEUSDT"];
/** The symbols served without --symbol, per market. */
export const DEFAULT_MARKET_SYMBOLS: Record<Market, string[]> = {
  spot: DEFAULT_SIM_SYMBOLS,
  usdm: ["BTCUSDT", "ETHUSDT", "SOLUSDT"],
  coinm: ["BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"],
};

/** Checks the flags and turns them into exchange options; a bad one is a UserError. Pure. */
export function resolveSimulateArgs(args: SimulateArgs): ExchangeOptions {
  const port = Number(args.port ?? DEFAULT_SIM_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: "${args.port}" is not a port; give 0..65535 (0 picks a free one)`);
  const market = args.market ?? "spot";
  if (!isMarket(market)) throw new UserError(`--market: "${args.market}" is not a market; give one of ${MARKETS.join(", ")}`);
  const symbols = args.symbol === undefined ? DEFAULT_MARKET_SYMBOLS[market] : parseList(args.symbol, "--symbol").map((s) => s.toUpperCase());
  const bad = symbols.find((s) => !SYMBOL_PATTERN.test(s));
  if (bad) throw new UserError(`--symbol: "${bad}" is not a symbol; give names like BTCUSDT,ETHUSDT (BTCUSD_PERP on coinm)`);
  const options: ExchangeOptions = { market, port, host: args.host ?? "127.0.0.1", symbols: [...new Set(symbols)] };
  if (args.symbols !== undefined) {
    if (args.symbol !== undefined) throw new UserError("--symbol and --symbols: give one, a list of names or a number of generated symbols");
    options.generate = _wholeNumber(args.symbols, "--symbols", 1, MAX_GENERATED_SYMBOLS, "--symbols 1500");
  }
  if (args.restWeight !== undefined) options.restWeightLimit = _wholeNumber(args.restWeight, "--rest-weight", 1, 1_000_000, "--rest-weight 6000");
  if (args.seed !== undefined) {
    const seed = Number(args.seed);
    if (!/^\d{1,15}$/.test(args.seed.trim())) throw new UserError(`--seed: "${args.seed}" is not a whole number; give e.g. --seed 42`);
    options.seed = seed;
  }
  if (args.faults !== undefined) {
    parseFaults(args.faults);
    options.faults = args.faults;
  }
  if (args.replay !== undefined) options.replay = args.replay;
  if (args.day !== undefined) {
    const dayMs = parseDuration(args.day, "--day");
    if (dayMs < 1000) throw new UserError(`--day: "${args.day}" is too short; give 1s or more (Binance: 24h)`);
    options.dayMs = dayMs;
  }
  return options;
}

// --- internal ---

function _wholeNumber(text: string, flag: string, min: number, max: number, example: string): number {
  const value = Number(text.trim());
  if (!/^\d{1,9}$/.test(text.trim()) || value < min || value > max) throw new UserError(`${flag}: "${text}" is not a whole number from ${min} to ${max}; give e.g. ${example}`);
  return value;
}
