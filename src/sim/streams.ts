import { isInterval, type Interval } from "../time/intervals.ts";
import type { SimKline } from "./candles.ts";

/**
 * Binance's stream protocol from the server side, as pure functions: stream names,
 * kline and serverShutdown payloads, and the JSON control frames
 * (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY).
 */

export interface StreamRef {
  symbol: string;
  interval: Interval;
}

/**
 * `btcusdt@kline_1m` → BTCUSDT 1m, `btcusd_perp@kline_1m` → BTCUSD_PERP 1m. Names are
 * lowercase on Binance; anything else streams nothing.
 */
export function parseStreamName(name: string): StreamRef | undefined {
  const m = /^([a-z0-9]+(?:_[a-z0-9]+)?)@kline_([0-9]+[smhdwM])$/.exec(name);
  if (!m || !isInterval(m[2]!)) return undefined;
  return { symbol: m[1]!.toUpperCase(), interval: m[2] };
}

/** A kline event with every field, in Binance's order. `micro` gives times in µs (`timeUnit=MICROSECOND`). */
export function klineEvent(k: SimKline, closed: boolean, eventTime: number, micro = false): Record<string, unknown> {
  const t = (ms: number) => (micro ? ms * 1000 : ms);
  return {
    e: "kline",
    E: t(eventTime),
    s: k.symbol,
    k: {
      t: t(k.openTime),
      T: t(k.closeTime),
      s: k.symbol,
      i: k.interval,
      f: k.firstTradeId,
      L: k.lastTradeId,
      o: k.open,
      c: k.close,
      h: k.high,
      l: k.low,
      v: k.volume,
      n: k.trades,
      x: closed,
      q: k.quoteVolume,
      V: k.takerBuyBase,
      Q: k.takerBuyQuote,
      B: "0",
    },
  };
}

/**
 * `streamFrame(stream, klineEvent(k, closed, eventTime, micro), combined)` written
 * directly, byte for byte the same: the hot path of every kline sent. Names go through
 * JSON.stringify; the decimals are plain decimal strings.
 */
export function klineFrame(stream: string, k: SimKline, closed: boolean, eventTime: number, micro: boolean, combined: boolean): string {
  const t = (ms: number) => (micro ? ms * 1000 : ms);
  const s = JSON.stringify(k.symbol);
  const body =
    `{"e":"kline","E":${t(eventTime)},"s":${s},"k":{"t":${t(k.openTime)},"T":${t(k.closeTime)},"s":${s},"i":${JSON.stringify(k.interval)},` +
    `"f":${k.firstTradeId},"L":${k.lastTradeId},"o":"${k.open}","c":"${k.close}","h":"${k.high}","l":"${k.low}","v":"${k.volume}",` +
    `"n":${k.trades},"x":${closed},"q":"${k.quoteVolume}","V":"${k.takerBuyBase}","Q":"${k.takerBuyQuote}","B":"0"}}`;
  return combined ? `{"stream":${JSON.stringify(stream)},"data":${body}}` : body;
}

/** The text frame for `payload` on `stream`: bare, or wrapped on combined connections. */
export function streamFrame(stream: string, payload: unknown, combined: boolean): string {
  return JSON.stringify(combined ? { stream, data: payload } : payload);
}

/** `serverShutdown` in the raw shape, or `{"stream":"!serverShutdown","data":{...}}` when combined. */
export function serverShutdownFrame(eventTime: number, combined: boolean): string {
  return streamFrame("!serverShutdown", { e: "serverShutdown", E: eventTime }, combined);
}

/** A connection's subscriptions and properties, as control frames see them. */
export interface ControlState {
  /** Subscribed stream names, in subscription order. */
  streams: string[];
  combined: boolean;
}

export interface ControlResult {
  /** The reply to send (always one). */
  reply: Record<string, unknown>;
  /** The state after the request (the same object when nothing changed). */
  state: ControlState;
  /** Close the connection after the reply (a limit was broken). */
  close?: { code: number; reason: string };
}

const METHODS = ["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY"];

/**
 * Answers one control frame as Binance does, success or error. A SUBSCRIBE that would
 * take the connection past `maxStreams` is refused and closes it (1008). Pure.
 */
export function handleControlFrame(state: ControlState, text: string, maxStreams = Infinity): ControlResult {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return _error(state, 3, "Invalid JSON: expected value at line 1 column 1", null);
  }
  if (typeof request !== "object" || request === null || Array.isArray(request)) return _error(state, 2, "Invalid request: expected an object", null);
  const { method, params, id } = request as { method?: unknown; params?: unknown; id?: unknown };
  if (!_validId(id)) return _error(state, 2, "Invalid request: request ID must be an unsigned integer", null);
  if (method === undefined) return _error(state, 2, "Invalid request: missing field `method`", id);
  if (typeof method !== "string" || !METHODS.includes(method)) {
    return _error(state, 2, `Invalid request: unknown variant \`${String(method)}\`, expected one of ${METHODS.map((m) => `\`${m}\``).join(", ")}`, id);
  }
  const list = params === undefined ? [] : params;
  if (!Array.isArray(list)) return _error(state, 2, "Invalid request: params must be an array", id);
  switch (method) {
    case "SUBSCRIBE":
    case "UNSUBSCRIBE": {
      if (!list.every((p) => typeof p === "string")) return _error(state, 2, "Invalid request: stream names must be strings", id);
      const names = list as string[];
      const streams = method === "SUBSCRIBE" ? _added(state.streams, names) : state.streams.filter((s) => !names.includes(s));
      if (streams.length > maxStreams) {
        const refused = _error(state, 2, `Invalid request: too many streams: ${streams.length} requested, at most ${maxStreams} per connection`, id);
        return { ...refused, close: { code: 1008, reason: "Too many streams" } };
      }
      return { reply: { result: null, id }, state: { ...state, streams } };
    }
    case "LIST_SUBSCRIPTIONS":
      return { reply: { result: [...state.streams], id }, state };
    case "SET_PROPERTY": {
      if (list.length > 2) return _error(state, 2, "Invalid request: too many parameters", id);
      if (typeof list[0] !== "string") return _error(state, 2, "Invalid request: property name must be a string", id);
      if (list[0] !== "combined") return _error(state, 0, "Unknown property", id);
      if (typeof list[1] !== "boolean") return _error(state, 1, "Invalid value type: expected Boolean", id);
      return { reply: { result: null, id }, state: { ...state, combined: list[1] } };
    }
    default: {
      if (list.length > 1) return _error(state, 2, "Invalid request: too many parameters", id);
      if (typeof list[0] !== "string") return _error(state, 2, "Invalid request: property name must be a string", id);
      if (list[0] !== "combined") return _error(state, 0, "Unknown property", id);
      return { reply: { result: state.combined, id }, state };
    }
  }
}

// --- internal ---

/** `current` plus the new names of `names`, once each, in order. */
function _added(current: string[], names: string[]): string[] {
  const seen = new Set(current);
  const out = [...current];
  for (const n of names) {
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
  }
  return out;
}

function _validId(id: unknown): boolean {
  if (id === null) return true;
  if (typeof id === "number") return Number.isSafeInteger(id);
  return typeof id === "string" && /^[A-Za-z0-9]{1,36}$/.test(id);
}

function _error(state: ControlState, code: number, msg: string, id: unknown): ControlResult {
  return { reply: { error: { code, msg }, id: id ?? null }, state };
}
