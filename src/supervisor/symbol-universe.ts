import type { Clock } from "../clock.ts";
import type { ResolvedConfig } from "../config/load.ts";
import { UserError, errorMessage } from "../errors.ts";
import { fetchExchangeInfo, type ExchangeInfo } from "../exchange/exchange-info.ts";
import type { RestBudget } from "../exchange/rest-budget.ts";
import { MARKET_PROFILES, restRoot } from "../exchange/market.ts";
import { selectSymbols, type SymbolSelection } from "../exchange/symbol-selection.ts";
import type { RecorderEvent } from "./events.ts";

const START_TIMEOUT_MS = 10_000;
/** A silent stream asks for a look at the symbol list (a halt?) this soon, at most this often. */
const SOON_DELAY_MS = 5000;
const SOON_MIN_GAP_MS = 60_000;
/** A failed refresh is tried again after this long (or the refresh period, if shorter). */
const RETRY_MS = 60_000;

/** What the universe changes in the recorder. */
export interface SymbolTarget {
  readonly symbols: string[];
  addSymbol(symbol: string, firstFrom?: number): void;
  retireSymbol(symbol: string, status: string): void;
}

export interface SymbolUniverseOptions {
  config: ResolvedConfig;
  clock: Clock;
  budget: RestBudget;
  emit(event: RecorderEvent): void;
  /** Where start-up troubles are told (the recorder goes on). */
  warn(message: string): void;
  /** For tests. */
  fetchInfo?: (signal: AbortSignal) => Promise<ExchangeInfo>;
}

export interface StartSymbols {
  /** Record these from the start. */
  trading: string[];
  /** Named, but not trading now: retired until they trade again. */
  halted: { symbol: string; status: string }[];
  /** exchangeInfo could not be read: the named list is recorded unchecked. */
  unchecked: boolean;
  /** The REST server has exchangeInfo, so halts and listings can be followed (refreshes). */
  follow: boolean;
}

/**
 * Which symbols are recorded, kept in step with exchangeInfo: read at start-up (`--symbol
 * all`, or a named list checked against it), then every `symbolsRefreshMs`. A symbol that
 * starts trading is added (a listing from its first candle), one that stops is retired,
 * and comes back if it trades again. A failed refresh changes nothing.
 */
export interface SymbolUniverse {
  /** The start-up list. `all` waits until exchangeInfo answers; a named list with an unknown symbol is a UserError. */
  initial(): Promise<StartSymbols>;
  /** Refreshes every symbolsRefreshMs from now on, applying changes to `target`. */
  start(target: SymbolTarget): void;
  /** A refresh soon (a stream went silent: perhaps a halt), at most once a minute. */
  refreshSoon(): void;
  /** One refresh now (tests, and `refreshSoon`). */
  refresh(): Promise<void>;
  stop(): void;
}

export function createSymbolUniverse(options: SymbolUniverseOptions): SymbolUniverse {
  const { config, clock } = options;
  const stopper = new AbortController();
  const fetchInfo = options.fetchInfo ?? ((signal: AbortSignal) => fetchExchangeInfo({ restUrl: config.restUrl, market: config.market, budget: options.budget, clock, signal, maxAttempts: 1, timeoutMs: START_TIMEOUT_MS }));
  /** When each symbol was first seen in exchangeInfo, whatever its status. */
  const firstSeen = new Map<string, number>();
  let lastRefreshAt: number | undefined;
  let target: SymbolTarget | undefined;
  let cancelTimer: (() => void) | undefined;
  let lastSoonAt = -Infinity;
  let running: Promise<void> | undefined;

  const want = () => ({ symbols: config.symbolSelection.all ? ("all" as const) : config.symbols, quote: config.symbolSelection.quote, exclude: config.symbolSelection.exclude, shard: config.symbolSelection.shard });

  function note(info: ExchangeInfo, at: number): SymbolSelection {
    for (const s of info.symbols) if (!firstSeen.has(s.symbol)) firstSeen.set(s.symbol, at);
    lastRefreshAt = at;
    return selectSymbols(info.symbols, want());
  }

  function schedule(delayMs: number): void {
    cancelTimer?.();
    cancelTimer = clock.setTimeout(() => void universe.refresh(), delayMs);
  }

  async function refreshOnce(): Promise<void> {
    if (!target || stopper.signal.aborted) return;
    const previousRefresh = lastRefreshAt;
    const knownBefore = new Set(firstSeen.keys());
    let info: ExchangeInfo;
    try {
      info = await fetchInfo(stopper.signal);
    } catch (err) {
      if (stopper.signal.aborted) return;
      options.emit({ type: "symbols_refresh_failed", error: errorMessage(err) });
      schedule(Math.min(RETRY_MS, config.symbolsRefreshMs));
      return;
    }
    if (stopper.signal.aborted) return;
    const now = clock.now();
    const selection = note(info, now);
    const status = new Map(info.symbols.map((s) => [s.symbol, s.status]));
    const trading = new Set(selection.trading);
    const recorded = new Set(target.symbols);
    for (const symbol of recorded) {
      if (!trading.has(symbol)) target.retireSymbol(symbol, _statusText(symbol, status, selection));
    }
    for (const symbol of selection.trading) {
      if (recorded.has(symbol)) continue;
      // A symbol never seen before is a listing: its CSV starts with its first candle, which
      // opened after the previous look. One seen before (halted, pre-trading) starts from then on.
      const from = knownBefore.has(symbol) ? firstSeen.get(symbol) : (previousRefresh ?? now);
      target.addSymbol(symbol, from);
    }
    schedule(config.symbolsRefreshMs);
  }

  const universe: SymbolUniverse = {
    async initial() {
      for (let attempt = 1; ; attempt++) {
        try {
          const info = await fetchInfo(stopper.signal);
          const selection = note(info, clock.now());
          if (selection.unknown.length > 0) {
            const [one, many] = [selection.unknown.length === 1, selection.unknown.join(", ")];
            throw new UserError(`symbol${one ? "" : "s"} ${many} ${one ? "does" : "do"} not exist on ${restRoot(config.restUrl)} (not in exchangeInfo; klines answer Binance error -1121); check --symbol`);
          }
          if (config.symbolSelection.all && selection.trading.length === 0) {
            throw new UserError(`no TRADING symbol on ${config.restUrl} matches${config.symbolSelection.quote ? ` --quote ${config.symbolSelection.quote.join(",")}` : ""}${config.symbolSelection.shard ? ` in --shard ${config.symbolSelection.shard.index}/${config.symbolSelection.shard.count}` : ""}; check --quote, --exclude and --shard`);
          }
          return { trading: selection.trading, halted: selection.halted, unchecked: false, follow: true };
        } catch (err) {
          if (err instanceof UserError || stopper.signal.aborted) throw err;
          const why = errorMessage(err);
          // A REST server without exchangeInfo (a proxy serving klines only) will not grow one.
          const missing = /\bHTTP 404\b/.test(why);
          if (missing && config.symbolSelection.all) throw new UserError(`${config.restUrl} does not serve ${MARKET_PROFILES[config.market].restPath}/exchangeInfo (HTTP 404); --symbol all needs it: name the symbols instead`);
          // A named list does not wait for exchangeInfo: it starts unchecked (checked per symbol instead).
          if (!config.symbolSelection.all) {
            if (!missing) options.warn(`could not read the symbol list from ${config.restUrl} (${why}); recording the symbols named, unchecked`);
            return { trading: config.symbols, halted: [], unchecked: true, follow: !missing };
          }
          const delay = Math.min(30_000, 1000 * 2 ** (attempt - 1));
          options.warn(`could not read the symbol list from ${config.restUrl} (${why}); ${config.symbolSelection.all ? "--symbol all needs it: " : ""}retrying in ${Math.round(delay / 1000)}s`);
          await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
        }
      }
    },
    start(next) {
      target = next;
      schedule(config.symbolsRefreshMs);
    },
    refreshSoon() {
      const now = clock.now();
      if (now - lastSoonAt < SOON_MIN_GAP_MS) return;
      lastSoonAt = now;
      schedule(SOON_DELAY_MS);
    },
    refresh() {
      running ??= refreshOnce().finally(() => {
        running = undefined;
      });
      return running;
    },
    stop() {
      stopper.abort();
      cancelTimer?.();
    },
  };
  return universe;
}

// --- internal ---

function _statusText(symbol: string, status: Map<string, string>, selection: SymbolSelection): string {
  const halted = selection.halted.find((h) => h.symbol === symbol);
  if (halted) return halted.status;
  return status.get(symbol) ?? "delisted";
}
