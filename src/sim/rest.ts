import type { Clock } from "../clock.ts";
import { candleOpenAt, isInterval, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";
import type { SimKline } from "./candles.ts";
import type { Market } from "./market.ts";
import { REQUEST_WEIGHT_PER_MINUTE, exchangeInfo } from "./exchange-info.ts";
import { marketRules, type MarketRules } from "./market-rules.ts";
import { createWeightMeter } from "./rest-weight.ts";

export { REQUEST_WEIGHT_PER_MINUTE };

/** `limit` default and maximum of `/api/v3/klines` (futures: see MarketRules). */
export const KLINES_DEFAULT_LIMIT = 500;
export const KLINES_MAX_LIMIT = 1000;

export interface RestOptions {
  market: Market;
  clock: Clock;
  /** Which Binance market's REST API this is (paths, limits, weights). @default marketRules("spot") */
  rules?: MarketRules;
  /** REQUEST_WEIGHT per minute. @default the market's (6000 spot, 2400 futures) */
  weightLimit?: number;
  /** Called for each real limit refusal (429 over the weight, 418 during a Retry-After or a ban). */
  onLimit?: (kind: "rest429" | "rest418", detail: string) => void;
}

/** The REST side of the simulated exchange, with its own fault queue. */
export interface Rest {
  handle(request: Request, url: URL): Response;
  /** The next `count` requests answer 429 with Retry-After: 1. */
  inject429(count: number): void;
  /** The next `count` requests answer 500, 502, 503 in turn. */
  inject5xx(count: number): void;
  /** Requests handled so far. */
  readonly requests: number;
  /** The most weight any minute has used so far. */
  readonly peakWeightPerMinute: number;
}

/**
 * `ping`, `time`, `exchangeInfo`, `klines` (and on spot `uiKlines`) under the market's
 * path (`/api/v3`, `/fapi/v1`, `/dapi/v1`), behind Binance's weight limit (see
 * `createWeightMeter`); every answer carries `X-MBX-USED-WEIGHT-1M`.
 */
export function createRest(options: RestOptions): Rest {
  const { market, clock } = options;
  const rules = options.rules ?? marketRules("spot");
  const limit = options.weightLimit ?? rules.requestWeightPerMinute;
  const meter = createWeightMeter(limit);
  let requests = 0;
  let pending429 = 0;
  let pending5xx = 0;
  let served5xx = 0;
  return {
    get requests() {
      return requests;
    },
    get peakWeightPerMinute() {
      return meter.peak;
    },
    inject429(count) {
      pending429 += count;
    },
    inject5xx(count) {
      pending5xx += count;
    },
    handle(request, url) {
      requests++;
      const now = clock.now();
      const verdict = meter.charge(now, _weight(rules, url));
      const headers = { "x-mbx-used-weight": String(verdict.used), "x-mbx-used-weight-1m": String(verdict.used) };
      if (verdict.kind === "418") {
        options.onLimit?.("rest418", `${url.pathname} ${verdict.newBan ? "ignored a pending Retry-After: IP banned for" : "during the IP ban, left"} ${verdict.retryAfterS} s`);
        const msg = `Way too much request weight used; IP banned until ${verdict.until}. Please use WebSocket Streams for live updates to avoid bans.`;
        return _json(418, { code: -1003, msg }, { ...headers, "retry-after": String(verdict.retryAfterS) });
      }
      if (verdict.kind === "429") options.onLimit?.("rest429", `${verdict.used}/${limit} weight this minute (${url.pathname}); Retry-After ${verdict.retryAfterS} s`);
      if (verdict.kind === "429" || pending429 > 0) {
        if (verdict.kind !== "429") pending429--;
        const retryAfter = verdict.kind === "429" ? verdict.retryAfterS : 1;
        const msg = `Too much request weight used; current limit is ${limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`;
        return _json(429, { code: -1003, msg }, { ...headers, "retry-after": String(retryAfter) });
      }
      if (pending5xx > 0) {
        pending5xx--;
        return _serverError(served5xx++, headers);
      }
      const micro = (request.headers.get("x-mbx-time-unit") ?? "").toUpperCase() === "MICROSECOND";
      const answer = _route(url, rules, market, now, micro, limit);
      return _json(answer.status, answer.body, headers);
    },
  };
}

// --- internal ---

type Answer = { status: number; body: unknown };

/** `/klines` out of `/fapi/v1/klines`; "" for a path outside the market's REST path, or spot-only uiKlines elsewhere. */
function _endpoint(rules: MarketRules, url: URL): string {
  if (!url.pathname.startsWith(`${rules.restPath}/`)) return "";
  const endpoint = url.pathname.slice(rules.restPath.length);
  return endpoint === "/uiKlines" && !rules.uiKlines ? "" : endpoint;
}

/** REQUEST_WEIGHT of a request: klines by its `limit` (spot: always 2), exchangeInfo by market, others 1. */
function _weight(rules: MarketRules, url: URL): number {
  switch (_endpoint(rules, url)) {
    case "/exchangeInfo":
      return rules.exchangeInfoWeight;
    case "/klines":
    case "/uiKlines": {
      const limit = Number(url.searchParams.get("limit") || Number.NaN);
      return rules.klinesWeight(Number.isSafeInteger(limit) && limit > 0 ? limit : rules.klinesDefaultLimit);
    }
    default:
      return 1;
  }
}

function _route(url: URL, rules: MarketRules, market: Market, now: number, micro: boolean, weightLimit: number): Answer {
  switch (_endpoint(rules, url)) {
    case "/ping":
      return { status: 200, body: {} };
    case "/time":
      return { status: 200, body: { serverTime: now } };
    case "/exchangeInfo":
      return exchangeInfo(url.searchParams, market, now, weightLimit, rules);
    case "/klines":
    case "/uiKlines":
      return _klines(url.searchParams, rules, market, now, micro);
    default:
      return { status: 404, body: { code: -1000, msg: `Unknown path ${url.pathname}.` } };
  }
}

function _klines(params: URLSearchParams, rules: MarketRules, market: Market, now: number, micro: boolean): Answer {
  const symbol = params.get("symbol");
  if (!symbol) return _mandatory("symbol");
  if (!/^[A-Z0-9-_.]{1,20}$/.test(symbol)) return _illegal("symbol", "^[A-Z0-9-_.]{1,20}$");
  if (!market.has(symbol)) return _bad(-1121, "Invalid symbol.");
  const interval = params.get("interval");
  if (!interval) return _mandatory("interval");
  if (!isInterval(interval) || !rules.intervals.has(interval)) return _bad(-1120, "Invalid interval.");
  const numbers: Record<string, number | undefined> = {};
  for (const name of ["startTime", "endTime", "limit"]) {
    const text = params.get(name);
    if (text === null || text === "") continue;
    if (!/^-?\d{1,20}$/.test(text)) return _illegal(name, "^[0-9]{1,20}$");
    const value = Number(text);
    numbers[name] = name !== "limit" && value >= 1e15 ? Math.floor(value / 1000) : value;
  }
  const limit = numbers.limit ?? rules.klinesDefaultLimit;
  if (limit < 1 || (limit > rules.klinesMaxLimit && rules.overMaxLimit === "reject")) return _bad(-1130, "Data sent for parameter 'limit' is not valid.");
  const rows = _range(market, symbol, interval, now, numbers.startTime, numbers.endTime, Math.min(limit, rules.klinesMaxLimit));
  const t = (ms: number) => (micro ? ms * 1000 : ms);
  return {
    status: 200,
    body: rows.map((k) => [t(k.openTime), k.open, k.high, k.low, k.close, k.volume, t(k.closeTime), k.quoteVolume, k.trades, k.takerBuyBase, k.takerBuyQuote, "0"]),
  };
}

/**
 * Candles opening in [start, min(end, now)], oldest first; without start, the last `limit`.
 * Stretches where the symbol did not trade (before its listing, during a halt) are
 * skipped at once, so a startTime of 0 starts at the listing.
 */
function _range(market: Market, symbol: string, interval: Interval, now: number, start: number | undefined, end: number | undefined, limit: number): SimKline[] {
  const last = candleOpenAt(interval, Math.min(end ?? now, now));
  const rows: SimKline[] = [];
  const guard = limit + 1_000_000;
  if (start !== undefined) {
    let t = candleOpenAt(interval, start);
    if (t < start) t = nextOpenTime(interval, t);
    for (let steps = 0; rows.length < limit && steps < guard; steps++, t = nextOpenTime(interval, t)) {
      t = market.nextTradingOpen(symbol, interval, t);
      if (t > last) break;
      const k = market.live(symbol, interval, t, now);
      if (k) rows.push(k);
    }
    return rows;
  }
  for (let steps = 0, t = last; rows.length < limit && steps < guard; steps++, t = previousOpenTime(interval, t)) {
    t = market.previousTradingOpen(symbol, interval, t);
    if (t === -Infinity) break;
    const k = market.live(symbol, interval, t, now);
    if (k) rows.push(k);
  }
  return rows.reverse();
}

function _mandatory(name: string): Answer {
  return _bad(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
}

function _illegal(name: string, range: string): Answer {
  return _bad(-1100, `Illegal characters found in parameter '${name}'; legal range is '${range}'.`);
}

function _bad(code: number, msg: string): Answer {
  return { status: 400, body: { code, msg } };
}

function _serverError(index: number, headers: Record<string, string>): Response {
  const status = [500, 502, 503][index % 3]!;
  if (status === 502) return new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", { status, headers: { ...headers, "content-type": "text/html" } });
  const body = status === 500 ? { code: -1000, msg: "An unknown error occurred while processing the request." } : { code: -1008, msg: "Server is currently overloaded with other requests. Please try again in a few minutes." };
  return _json(status, body, headers);
}

function _json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json;charset=UTF-8" } });
}
