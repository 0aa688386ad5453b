import { sleep, systemClock, type Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import type { Candle } from "../candles/candle.ts";
import { candlesBetween, type Interval } from "../time/intervals.ts";
import { klinesRequest, MARKET_PROFILES, restRoot, type Market } from "./market.ts";
import { backoffDelayMs } from "../stream/backoff.ts";
import type { RestBudget } from "./rest-budget.ts";

/** Without Retry-After on a 429/418, wait this long (Binance bans escalate: never hammer). */
const DEFAULT_RETRY_AFTER_MS = 60_000;
/** Without a Date header, the server's clock is taken to be this far behind ours. */
const CLOCK_MARGIN_MS = 1000;
const REQUEST_TIMEOUT_MS = 15_000;
export interface FetchKlinesOptions {
  restUrl: string;
  /** Where the klines live (`/api/v3`, `/fapi/v1`, `/dapi/v1`) and what they cost. @default "spot" */
  market?: Market;
  symbol: string;
  interval: Interval;
  /** First open time wanted (inclusive), epoch ms. */
  startTime: number;
  /** Last open time wanted (inclusive), epoch ms. @default up to the last closed candle */
  endTime?: number;
  /** Give up after this many failed attempts of one request. @default Infinity (never) */
  maxAttempts?: number;
  signal?: AbortSignal;
  /** Per request. @default 15000 */
  timeoutMs?: number;
  /**
   * Open time of the candle the live stream says is still open: the last row of a page
   * counts as closed only before it (besides the server's Date), so a clock-skewed or
   * replaying exchange never gets an open candle written.
   */
  openFrom?: number;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Told about every request made and every retry, for counters and logs. */
  onRequest?: () => void;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /** The process's REST governor: every attempt waits for it, and a 429/418 pauses it for everyone. */
  budget?: RestBudget;
  /** Stream key (e.g. `BTCUSDT@1m`), so the budget serves streams in turn. */
  stream?: string;
  /** Open time of the oldest candle this fetch repairs: the budget serves older holes first. */
  holeFrom?: number;
}

/** Thrown when a REST request failed `maxAttempts` times, or the signal aborted. */
export class RestUnavailableError extends Error {
  override name = "RestUnavailableError";
}

/**
 * Fetches the closed klines of [startTime, endTime] from the market's `klines` (spot
 * `GET /api/v3/klines`, paged by 1000), in order. The still-open candle (which Binance returns last) is dropped: the last
 * row is kept only when the server's clock (its Date header) is past its close time. Decimals stay strings.
 * 429/418 wait for Retry-After; 5xx and network errors back off and retry.
 * An unknown symbol (-1121) or interval (-1120) is a UserError.
 */
export async function fetchClosedKlines(options: FetchKlinesOptions): Promise<Candle[]> {
  const out: Candle[] = [];
  let from = options.startTime;
  for (;;) {
    const page = await fetchClosedPage({ ...options, startTime: from });
    out.push(...page.candles);
    if (!page.more) return out;
    from = page.next;
  }
}

export interface ClosedPage {
  /** Closed candles of this page, in order. */
  candles: Candle[];
  /** More closed candles may follow from `next`. */
  more: boolean;
  next: number;
}

/**
 * One klines page from `startTime` (spot: `GET /api/v3/klines`, limit 1000; futures: the
 * cheapest limit for what is wanted, see klinesRequest): its closed candles, and
 * whether to ask again. Paging goes on until the open candle shows, the range ends, or a
 * page brings nothing new, so a server with a smaller page limit is read whole too.
 */
export async function fetchClosedPage(options: FetchKlinesOptions): Promise<ClosedPage> {
  const clock = options.clock ?? systemClock;
  const from = options.startTime;
  const market = options.market ?? "spot";
  const wanted = candlesBetween(options.interval, from, options.endTime ?? clock.now()) + 1;
  const { limit, weight } = klinesRequest(market, wanted);
  const params = new URLSearchParams({
    symbol: options.symbol,
    interval: options.interval,
    startTime: String(from),
    limit: String(limit),
  });
  if (options.endTime !== undefined) params.set("endTime", String(options.endTime));
  const { value: rows, serverNow } = await getJson(`${restRoot(options.restUrl)}${MARKET_PROFILES[market].restPath}/klines?${params}`, { ...options, clock, weight }, (body) =>
    parseKlineRows(body, options.symbol, options.interval),
  );
  const candles: Candle[] = [];
  for (const [index, candle] of rows.entries()) {
    if (candle.openTime < from) continue;
    if (options.endTime !== undefined && candle.openTime > options.endTime) return { candles, more: false, next: from };
    // A row followed by a later one is closed; the last one only if the server's clock is past it.
    const last = index === rows.length - 1;
    if (last && (candle.closeTime >= serverNow || (options.openFrom !== undefined && candle.openTime >= options.openFrom))) {
      return { candles, more: false, next: from };
    }
    candles.push(candle);
  }
  const last = candles[candles.length - 1];
  if (!last) return { candles, more: false, next: from };
  const ended = options.endTime !== undefined && last.openTime >= options.endTime;
  return { candles, more: !ended, next: last.openTime + 1 };
}

/**
 * Converts a klines response body into candles; throws on any row that is not
 * Binance's 12-field shape (a malformed answer is retried, never written).
 */
export function parseKlineRows(body: unknown, symbol: string, interval: Interval): Candle[] {
  if (!Array.isArray(body)) throw new MalformedResponse("klines answer is not an array");
  return body.map((row, i) => {
    if (!Array.isArray(row) || row.length < 11) throw new MalformedResponse(`kline row ${i} is not a 12-field array`);
    const [t, o, h, l, c, v, T, q, n, V, Q] = row as unknown[];
    if (!isInt(t) || !isInt(T) || !isInt(n)) throw new MalformedResponse(`kline row ${i} has a non-integer time or trade count`);
    for (const d of [o, h, l, c, v, q, V, Q]) {
      if (typeof d !== "string" || !DECIMAL.test(d)) throw new MalformedResponse(`kline row ${i} has a price or volume that is not a decimal string`);
    }
    return {
      symbol,
      interval,
      openTime: t,
      closeTime: T,
      open: o as string,
      high: h as string,
      low: l as string,
      close: c as string,
      volume: v as string,
      quoteVolume: q as string,
      trades: n,
      takerBuyBase: V as string,
      takerBuyQuote: Q as string,
    };
  });
}

export interface GetJsonOptions {
  /** REQUEST_WEIGHT of one attempt, reserved in `budget`. */
  weight: number;
  budget?: RestBudget;
  stream?: string;
  holeFrom?: number;
  clock?: Clock;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** @default Infinity (never give up) */
  maxAttempts?: number;
  /** Per attempt. @default 15000 */
  timeoutMs?: number;
  onRequest?: () => void;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * GETs `url` until it answers something `parse` accepts (a malformed answer is retried like
 * a 5xx); `serverNow` is a lower bound of the server's clock. With a budget, each attempt
 * waits in it, every answer's used weight is reported to it, and a 429/418 pauses it (the
 * retry then waits in it too); without one, a 429/418 sleeps its Retry-After here.
 * Binance's -1121 (unknown symbol) and -1120 (bad interval) are UserErrors.
 */
export async function getJson<T>(url: string, options: GetJsonOptions, parse: (body: unknown) => T): Promise<{ value: T; serverNow: number }> {
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? Infinity;
  const base = _baseOf(url);
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new RestUnavailableError("stopped");
    let outcome: _Attempt<T>;
    let release: (() => void) | undefined;
    try {
      release = await options.budget?.acquire({ weight: options.weight, stream: options.stream, holeFrom: options.holeFrom, signal: options.signal });
      outcome = await _attempt(url, options, clock, parse);
    } catch (err) {
      if (err instanceof UserError) throw err;
      if (options.signal?.aborted) throw new RestUnavailableError("stopped");
      outcome = { reason: err instanceof Error ? err.message : String(err) };
    } finally {
      release?.();
    }
    if ("value" in outcome) return outcome;
    const { reason } = outcome;
    let delayMs = backoffDelayMs(attempt, { baseMs: 500, maxMs: 30_000 });
    if (outcome.retryAfterMs !== undefined) delayMs = outcome.retryAfterMs;
    if (attempt >= maxAttempts) throw new RestUnavailableError(`${base}: ${reason} (gave up after ${attempt} attempts)`);
    options.onRetry?.({ attempt, delayMs, reason });
    // A budget was paused by the 429/418 (before release): the next acquire waits it out.
    if (outcome.retryAfterMs !== undefined && options.budget) continue;
    if (delayMs > 0) await sleep(clock, delayMs, options.signal);
  }
}

// --- internal ---

type _Attempt<T> = { value: T; serverNow: number } | { reason: string; retryAfterMs?: number };

/** One GET: the parsed value, or why to retry (and a 429/418's wait, already told to the budget). */
async function _attempt<T>(url: string, options: GetJsonOptions, clock: Clock, parse: (body: unknown) => T): Promise<_Attempt<T>> {
  options.onRequest?.();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(url, { signal, headers: { accept: "application/json" } });
  } catch (err) {
    if (!options.signal?.aborted) options.budget?.failed(); // no answer at all (a stop is not a failure)
    throw err;
  }
  options.budget?.observe(res.headers, res.status);
  if (res.status === 429 || res.status === 418) {
    const retryAfter = Number(res.headers.get("retry-after") ?? NaN);
    const retryAfterMs = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : DEFAULT_RETRY_AFTER_MS;
    options.budget?.pause(retryAfterMs, res.status);
    const code = binanceErrorCode(await res.text().catch(() => ""));
    return { reason: `HTTP ${res.status}${code !== undefined ? ` (code ${code})` : ""}`, retryAfterMs };
  }
  const text = await res.text();
  // The Date header (whole seconds, rounded down) is a lower bound of the server's clock.
  const serverDate = Date.parse(res.headers.get("date") ?? "");
  const serverNow = Number.isNaN(serverDate) ? clock.now() - CLOCK_MARGIN_MS : serverDate;
  if (!res.ok) {
    const code = binanceErrorCode(text);
    const params = new URL(url).searchParams;
    if (code === -1121) throw new UserError(`symbol ${params.get("symbol")} does not exist on ${_baseOf(url)} (Binance error -1121); check --symbol`);
    if (code === -1120) throw new UserError(`interval ${params.get("interval")} is refused by ${_baseOf(url)} (Binance error -1120); check --interval`);
    return { reason: `HTTP ${res.status}${code !== undefined ? ` (code ${code})` : ""}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { reason: "the answer is not JSON" };
  }
  try {
    return { value: parse(body), serverNow };
  } catch (err) {
    if (err instanceof UserError) throw err;
    return { reason: `malformed answer: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The REST base of a request URL (what precedes `/api/`), for messages. */
function _baseOf(url: string): string {
  const at = url.indexOf("/api/");
  return at < 0 ? url : url.slice(0, at);
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

class MalformedResponse extends Error {}

function isInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}

function binanceErrorCode(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === "number" ? body.code : undefined;
  } catch {
    return undefined;
  }
}
