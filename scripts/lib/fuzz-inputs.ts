import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { simulatedKline, type SimKline } from "../../src/sim/candles.ts";
import { klineEvent, serverShutdownFrame, streamFrame } from "../../src/sim/streams.ts";
import { INTERVALS, nextOpenTime, type Interval } from "../../src/time/intervals.ts";
import type { Random } from "./random.ts";

/**
 * Inputs for the fuzz run: valid specimens of each format (made by the simulator, which
 * speaks Binance's protocol independently of the recorder), mutated at the byte level and
 * at the structure level, plus purely random ones.
 */

const SYMBOLS = ["BTCUSDT", "ETHUSDT", "PEPEUSDT"];
const T0 = Date.UTC(2025, 0, 1);

/** A stream frame: a kline (raw or combined), a serverShutdown, a reply, or garbage. */
export function streamMessage(random: Random): string {
  const roll = random.next();
  if (roll < 0.05) return _randomText(random);
  if (roll < 0.1) return JSON.stringify(_randomValue(random, 3));
  const specimen = random.next() < 0.9 ? _klineFrame(random) : random.next() < 0.5 ? serverShutdownFrame(T0, random.next() < 0.5) : `{"result":null,"id":${random.int(0, 99)}}`;
  return random.next() < 0.5 ? mutateText(random, specimen) : JSON.stringify(mutateValue(random, JSON.parse(specimen)));
}

/** A `GET /api/v3/klines` body, parsed: Binance's 12-field rows, mutated. */
export function restBody(random: Random): unknown {
  if (random.next() < 0.1) return _randomValue(random, 3);
  const interval = random.pick(INTERVALS);
  const rows: unknown[] = [];
  let t = _aligned(random, interval);
  for (let i = random.int(0, 5); i > 0; i--, t = nextOpenTime(interval, t)) rows.push(_restRow(simulatedKline(1, random.pick(SYMBOLS), interval, t)));
  const body = random.next() < 0.7 ? mutateValue(random, rows) : rows;
  return random.next() < 0.2 ? _parseOrKeep(mutateText(random, JSON.stringify(body))) : body;
}

/** A candle CSV (ours basic or full, the seed's CRLF one), mutated at the byte level. */
export function csvFile(random: Random): { text: string; interval: Interval | undefined } {
  const interval = random.pick(["1s", "1m", "1h", "1d", "1w", "1M"] as const);
  const full = random.next() < 0.3;
  const crlf = !full && random.next() < 0.2;
  const lines = [full ? "timestamp,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote" : "timestamp,open,high,low,close,volume"];
  let t = _aligned(random, interval);
  for (let i = random.int(0, 40); i > 0; i--, t = nextOpenTime(interval, t)) {
    const k = simulatedKline(1, random.pick(SYMBOLS), interval, t);
    const row = `${new Date(t).toISOString().slice(0, 19)}Z,${k.open},${k.high},${k.low},${k.close},${k.volume}`;
    lines.push(full ? `${row},${new Date(k.closeTime).toISOString()},${k.quoteVolume},${k.trades},${k.takerBuyBase},${k.takerBuyQuote}` : row);
  }
  let text = lines.join(crlf ? "\r\n" : "\n") + (crlf ? "\r\n" : "\n");
  for (let n = random.int(0, 3); n > 0; n--) text = random.next() < 0.5 ? _mutateLines(random, text) : mutateText(random, text);
  return { text, interval: random.next() < 0.6 ? interval : undefined };
}

/** A YAML config: the example config files of the repository, mutated. */
export function configFile(random: Random, root: string): string {
  const sources = ["config/resilience.yml", "config/binance.yml", "config/slack.sops.yml.example"].map((p) => readFileSync(join(root, p), "utf8"));
  let text = random.pick(sources).replace(/^include:[\s\S]*?(?=^\S)/m, "");
  for (let n = random.int(1, 3); n > 0; n--) {
    const roll = random.next();
    if (roll < 0.4) text = _mutateLines(random, text);
    else if (roll < 0.7) text = mutateText(random, text);
    else text = _setKey(random, text);
  }
  return text;
}

/** Byte-level damage: flip, delete, duplicate, insert, truncate. */
export function mutateText(random: Random, text: string): string {
  const at = random.int(0, text.length);
  switch (random.int(0, 5)) {
    case 0:
      return text.slice(0, at) + String.fromCharCode(random.int(0, 0xff)) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text.slice(at + random.int(1, 20));
    case 2:
      return text.slice(0, at) + text.slice(at, at + random.int(1, 40)) + text.slice(at);
    case 3:
      return text.slice(0, at) + random.pick(INSERTS) + text.slice(at);
    case 4:
      return text.slice(0, at);
    default:
      return text.slice(0, at) + _randomText(random).slice(0, 30) + text.slice(at);
  }
}

/** Structure-level damage: a value somewhere replaced, a key removed or added. */
export function mutateValue(random: Random, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > 4 || random.next() < 0.25) return _randomValue(random, 2);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = random.pick(keys);
  const roll = random.next();
  if (roll < 0.15 && !Array.isArray(copy)) delete copy[key];
  else if (roll < 0.2 && !Array.isArray(copy)) copy[random.pick(["__proto__", "constructor", "x", "E", "k"])] = _randomValue(random, 1);
  else (copy as Record<string, unknown>)[key] = mutateValue(random, (copy as Record<string, unknown>)[key], depth + 1);
  return copy;
}

// --- internal ---

const INSERTS = ["\u0000", "\r", "\n", "\r\n", ",", '"', "\\", "\ufeff", "é", "😀", "\ud800", "-", ".", "e", "9".repeat(30), "NaN", "null", "{", "[", "]", "}", ":"];

function _klineFrame(random: Random): string {
  const interval = random.pick(INTERVALS);
  const symbol = random.pick(SYMBOLS);
  const k = simulatedKline(1, symbol, interval, _aligned(random, interval));
  const stream = `${symbol.toLowerCase()}@kline_${interval}`;
  return streamFrame(stream, klineEvent(k, random.next() < 0.5, k.closeTime + 1, random.next() < 0.1), random.next() < 0.7);
}

function _restRow(k: SimKline): unknown[] {
  return [k.openTime, k.open, k.high, k.low, k.close, k.volume, k.closeTime, k.quoteVolume, k.trades, k.takerBuyBase, k.takerBuyQuote, "0"];
}

function _aligned(random: Random, interval: Interval): number {
  let t = T0;
  for (let i = random.int(0, 30); i > 0; i--) t = nextOpenTime(interval, t);
  return t;
}

function _randomValue(random: Random, depth: number): unknown {
  switch (random.int(0, depth > 0 ? 11 : 9)) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2, 1735689600000]);
    case 3:
      return random.int(-1e6, 1e13);
    case 4:
      return random.pick(["", " ", "1", "-0", "1.", ".5", "1e5", "0x10", "NaN", "Infinity", " 1.0", "1,0", "00.10000000", "-1.00000000", "9".repeat(400)]);
    case 5:
      return random.pick(INTERVALS);
    case 6:
      return random.pick(["kline", "serverShutdown", "trade", "BTCUSDT", "btcusdt@kline_1m"]);
    case 7:
      return "x".repeat(random.int(0, 100_000));
    case 8:
      return _randomText(random);
    case 9:
      return [];
    case 10:
      return Array.from({ length: random.int(0, 13) }, () => _randomValue(random, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(0, 5) }, () => [random.pick(["e", "E", "s", "k", "t", "x", "data", "stream", "result", "id", "event"]), _randomValue(random, depth - 1)]));
  }
}

function _randomText(random: Random): string {
  return Array.from({ length: random.int(0, 200) }, () => String.fromCharCode(random.next() < 0.9 ? random.int(32, 126) : random.int(0, 0xffff))).join("");
}

function _parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function _mutateLines(random: Random, text: string): string {
  const lines = text.split("\n");
  const i = random.int(0, Math.max(0, lines.length - 1));
  const j = random.int(0, Math.max(0, lines.length - 1));
  switch (random.int(0, 4)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines.splice(i, 0, lines[j] ?? "");
      break;
    case 2:
      [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
      break;
    case 3:
      lines[i] = `${" ".repeat(random.int(0, 6))}${(lines[i] ?? "").trimStart()}`;
      break;
    default:
      lines.splice(i, 0, _randomText(random).slice(0, 80));
  }
  return lines.join("\n");
}

/** Sets a config key the loader knows to a random value (through the YAML tree). */
function _setKey(random: Random, text: string): string {
  const key = random.pick(["binance.stream.symbols", "binance.stream.symbol", "binance.stream.timeframes", "binance.reconnect.every", "binance.reconnect.modulo_minutes", "binance.reconnect.margin_seconds", "binance.ws_url", "binance.rest_url", "resilience.heartbeat.interval", "resilience.heartbeat.stale_after", "websocket.reconnect.max_delay", "csv.columns", "csv.dir", "alerts.proactive", "alerts.min_interval", "credentials.sops_hb", "include"]);
  let tree: unknown;
  try {
    tree = parse(text, { logLevel: "error" });
  } catch {
    return text;
  }
  const root = (tree !== null && typeof tree === "object" && !Array.isArray(tree) ? tree : {}) as Record<string, unknown>;
  const parts = key.split(".");
  let node = root;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = node[part] = (next !== null && typeof next === "object" && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = _randomValue(random, 1);
  return stringify(root);
}
