import type { Candle } from "../candles/candle.ts";
import { isInterval, type Interval } from "../time/intervals.ts";

export interface StreamSpec {
  symbol: string;
  interval: Interval;
}

export type StreamMessage =
  | { type: "kline"; eventTime: number; closed: boolean; candle: Candle }
  | { type: "shutdown"; eventTime: number | undefined }
  | { type: "reply"; id: unknown }
  | { type: "other"; event: string }
  | { type: "invalid"; reason: string };

/** `btcusdt@kline_1h`: Binance stream names are lower-case, the interval is not. */
export function klineStreamName(spec: StreamSpec): string {
  return `${spec.symbol.toLowerCase()}@kline_${spec.interval}`;
}

/**
 * The combined-stream URL for `streams` on `base` (`wss://stream.binance.com:9443`;
 * a trailing `/ws` or `/stream`, as kstlib configs have, is accepted).
 */
export function combinedStreamUrl(base: string, streams: StreamSpec[]): string {
  const root = base.replace(/\/+$/, "").replace(/\/(ws|stream)$/, "");
  return `${root}/stream?streams=${streams.map(klineStreamName).join("/")}`;
}

/**
 * A stream URL short enough for a log line or an alert:
 * `stream.binance.com:9443/stream (600 streams)`. A combined URL names every stream and
 * runs to ~12,000 characters with 600 of them; the count says enough. Never throws.
 */
export function describeStreamUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.length > URL_TEXT_MAX ? `${url.slice(0, URL_TEXT_MAX - 1)}…` : url;
  }
  // Raw streams are named in the path (`/ws/btcusdt@kline_1m/ethusdt@kline_1m`).
  const raw = /^\/ws\/(.+)$/.exec(parsed.pathname);
  const names = raw ? raw[1]! : parsed.searchParams.get("streams");
  const where = `${parsed.host}${raw ? "/ws" : parsed.pathname === "/" ? "" : parsed.pathname}`;
  if (names === null) return where;
  const count = names.split("/").filter(Boolean).length;
  return `${where} (${count} stream${count === 1 ? "" : "s"})`;
}

/**
 * Reads one WebSocket text frame: a kline (raw or wrapped in the combined
 * `{stream, data}` shape), a `serverShutdown` (raw, combined, or WebSocket-API shape),
 * a reply to a control request, or something else. Never throws.
 */
export function parseStreamMessage(text: string): StreamMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { type: "invalid", reason: "not JSON" };
  }
  if (!isObject(msg)) return { type: "invalid", reason: "not a JSON object" };
  const payload = isObject(msg.data) && typeof msg.stream === "string" ? msg.data : isObject(msg.event) ? msg.event : msg;
  if (payload.e === "serverShutdown") return { type: "shutdown", eventTime: typeof payload.E === "number" ? payload.E : undefined };
  if ("result" in msg && "id" in msg) return { type: "reply", id: msg.id };
  if (payload.e !== "kline") return typeof payload.e === "string" ? { type: "other", event: payload.e } : { type: "invalid", reason: "no event type" };
  return parseKline(payload);
}

// --- internal ---

const DECIMAL = /^-?\d+(\.\d+)?$/;
/** What is left of a string that is not even a URL. */
const URL_TEXT_MAX = 80;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function parseKline(payload: Record<string, unknown>): StreamMessage {
  const k = payload.k;
  if (!isObject(k)) return { type: "invalid", reason: "kline without k" };
  const { t, T, s, i, o, h, l, c, v, q, n, V, Q, x } = k;
  if (typeof t !== "number" || typeof T !== "number" || !Number.isSafeInteger(t) || !Number.isSafeInteger(T)) {
    return { type: "invalid", reason: "kline times are not integers" };
  }
  if (typeof s !== "string" || s.length === 0) return { type: "invalid", reason: "kline without symbol" };
  if (typeof i !== "string" || !isInterval(i)) return { type: "invalid", reason: `unknown kline interval ${String(i)}` };
  if (typeof x !== "boolean") return { type: "invalid", reason: "kline without the closed flag x" };
  // A closed candle is written: every value is checked. An in-progress update is only
  // shown (its close), and it is on the hot path: ~15 of them per close.
  if (x) {
    for (const d of [o, h, l, c, v]) if (!_isDecimal(d)) return { type: "invalid", reason: "kline price or volume is not a decimal string" };
  } else if (!_isDecimal(c)) {
    return { type: "invalid", reason: "kline close price is not a decimal string" };
  }
  return {
    type: "kline",
    eventTime: typeof payload.E === "number" ? payload.E : T,
    closed: x,
    candle: {
      symbol: s.toUpperCase(),
      interval: i,
      openTime: t,
      closeTime: T,
      open: _text(o),
      high: _text(h),
      low: _text(l),
      close: c as string,
      volume: _text(v),
      quoteVolume: _optional(x, q),
      trades: typeof n === "number" ? n : 0,
      takerBuyBase: _optional(x, V),
      takerBuyQuote: _optional(x, Q),
    },
  };
}

function _isDecimal(d: unknown): d is string {
  return typeof d === "string" && DECIMAL.test(d);
}

function _text(d: unknown): string {
  return typeof d === "string" ? d : "";
}

/** The full columns' fields: checked on a closed candle, passed through on an update. */
function _optional(closed: boolean, d: unknown): string {
  return closed ? (_isDecimal(d) ? d : "") : _text(d);
}
