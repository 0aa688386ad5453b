import { readFile } from "node:fs/promises";
import { UserError, errorMessage } from "../errors.ts";
import { INTERVALS, candleOpenAt, candlesBetween, intervalMs, type Interval } from "../time/intervals.ts";
import { parseTime } from "../time/timestamp.ts";
import { formatDecimal, fractionOf, parseDecimal, rescale } from "./decimal.ts";
import { simulatedKline, type SimKline } from "./candles.ts";

/** One row of a replay file: the values it gives, verbatim. */
export interface ReplayRow {
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume?: string;
  trades?: number;
  takerBuyBase?: string;
  takerBuyQuote?: string;
}

/** A replay file as positions: row k of the file is candle k; a hole is a missing position. */
export interface ReplayTable {
  /** Rows by position (0 = the file's first row). */
  rows: Map<number, ReplayRow>;
  /** Positions in one pass over the file (last position + 1); then it starts again. */
  period: number;
}

/** Reads a replay file (see `parseReplay`); an unreadable file is a UserError. */
export async function loadReplay(path: string): Promise<ReplayTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UserError(`--replay: cannot read ${path} (${errorMessage(err)}); give a CSV of candles`);
  }
  return parseReplay(text, path);
}

/**
 * Parses candles from our CSV (header `timestamp,open,high,low,close,volume[,...]`), the
 * original 6-column CSV, or a Binance 12-column dump (no header; times in ms or µs).
 * The file's own step (its smallest gap between rows) numbers the rows, so a missing
 * row stays a hole. Pure.
 */
export function parseReplay(text: string, source: string): ReplayTable {
  const lines = text.split(/\r?\n/);
  const parsed: { time: number; row: ReplayRow; line: number }[] = [];
  let columns: ColumnMap | undefined;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const cells = line.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
    if (parsed.length === 0 && !columns && !/^\d/.test(cells[0] ?? "")) {
      columns = _columnsFromHeader(cells, `${source}:${index + 1}`);
      return;
    }
    const map = columns ?? _columnsByPosition(cells.length, `${source}:${index + 1}`);
    parsed.push({ ..._readRow(cells, map, `${source}:${index + 1}`), line: index + 1 });
  });
  if (parsed.length === 0) throw new UserError(`--replay: ${source} has no candle rows`);
  return _positions(parsed, source);
}

/**
 * The candle `openTime` of `interval` from `table`: positions count from the candle that
 * contains `originTime` (the simulator's start) and wrap around the file. Values are the
 * file's; fields the file lacks are derived (quote volume from volume and the mean price,
 * trades and trade ids from the simulated market). Undefined for a hole.
 */
export function replayKline(table: ReplayTable, seed: number, symbol: string, interval: Interval, openTime: number, originTime: number): SimKline | undefined {
  const origin = candleOpenAt(interval, originTime);
  const k = openTime >= origin ? candlesBetween(interval, origin, openTime) : -candlesBetween(interval, openTime, origin);
  const row = table.rows.get(((k % table.period) + table.period) % table.period);
  if (!row) return undefined;
  const base = simulatedKline(seed, symbol, interval, openTime);
  const trades = row.trades ?? base.trades;
  const quoteVolume = row.quoteVolume ?? _quote(row.volume, [row.open, row.high, row.low, row.close]);
  return {
    ...base,
    open: row.open,
    high: row.high,
    low: row.low,
    close: row.close,
    volume: row.volume,
    quoteVolume,
    trades,
    takerBuyBase: row.takerBuyBase ?? _half(row.volume),
    takerBuyQuote: row.takerBuyQuote ?? _half(quoteVolume),
    lastTradeId: base.firstTradeId + trades - 1,
  };
}

// --- internal ---

type Field = "time" | "open" | "high" | "low" | "close" | "volume" | "quoteVolume" | "trades" | "takerBuyBase" | "takerBuyQuote";
type ColumnMap = Partial<Record<Field, number>>;

const HEADER_NAMES: Record<string, Field> = {
  timestamp: "time", time: "time", open_time: "time", opentime: "time", date: "time", datetime: "time",
  open: "open", high: "high", low: "low", close: "close", volume: "volume",
  quote_volume: "quoteVolume", quote_asset_volume: "quoteVolume", quotevolume: "quoteVolume",
  trades: "trades", number_of_trades: "trades", count: "trades",
  taker_buy_base: "takerBuyBase", taker_buy_base_volume: "takerBuyBase", taker_buy_base_asset_volume: "takerBuyBase", taker_buy_volume: "takerBuyBase",
  taker_buy_quote: "takerBuyQuote", taker_buy_quote_volume: "takerBuyQuote", taker_buy_quote_asset_volume: "takerBuyQuote",
};

const REQUIRED: Field[] = ["time", "open", "high", "low", "close", "volume"];

function _columnsFromHeader(cells: string[], where: string): ColumnMap {
  const map: ColumnMap = {};
  cells.forEach((cell, i) => {
    const field = HEADER_NAMES[cell.toLowerCase().replace(/[\s-]/g, "_")];
    if (field && map[field] === undefined) map[field] = i;
  });
  const missing = REQUIRED.filter((f) => map[f] === undefined);
  if (missing.length > 0) throw new UserError(`--replay: ${where}: header lacks ${missing.join(", ")}; expected timestamp,open,high,low,close,volume`);
  return map;
}

function _columnsByPosition(count: number, where: string): ColumnMap {
  if (count >= 11) return { time: 0, open: 1, high: 2, low: 3, close: 4, volume: 5, quoteVolume: 7, trades: 8, takerBuyBase: 9, takerBuyQuote: 10 };
  if (count >= 6) return { time: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 };
  throw new UserError(`--replay: ${where}: ${count} columns; expected timestamp,open,high,low,close,volume or Binance's 12 columns`);
}

function _readRow(cells: string[], map: ColumnMap, where: string): { time: number; row: ReplayRow } {
  const cell = (field: Field) => (map[field] === undefined ? undefined : cells[map[field]!]);
  const decimal = (field: Field): string | undefined => {
    const value = cell(field);
    if (value === undefined || value === "") return undefined;
    if (!parseDecimal(value)) throw new UserError(`--replay: ${where}: ${field} "${value}" is not a decimal number`);
    return value;
  };
  const required = (field: Field) => decimal(field) ?? _fail(`--replay: ${where}: ${field} is missing`);
  const timeText = cell("time") ?? "";
  let time: number;
  try {
    time = parseTime(timeText, "time");
  } catch {
    throw new UserError(`--replay: ${where}: "${timeText}" is not a time (ISO 8601, epoch ms or µs)`);
  }
  const tradesText = cell("trades");
  const trades = tradesText && /^\d+$/.test(tradesText) ? Number(tradesText) : undefined;
  const row: ReplayRow = { open: required("open"), high: required("high"), low: required("low"), close: required("close"), volume: required("volume") };
  const optional = { quoteVolume: decimal("quoteVolume"), trades, takerBuyBase: decimal("takerBuyBase"), takerBuyQuote: decimal("takerBuyQuote") };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (row as unknown as Record<string, unknown>)[k] = v;
  return { time, row };
}

function _positions(parsed: { time: number; row: ReplayRow; line: number }[], source: string): ReplayTable {
  let step = Infinity;
  for (let i = 1; i < parsed.length; i++) {
    const gap = parsed[i]!.time - parsed[i - 1]!.time;
    if (gap < 0) throw new UserError(`--replay: ${source}:${parsed[i]!.line}: time goes backwards; sort the file by time`);
    if (gap > 0) step = Math.min(step, gap);
  }
  const interval = Number.isFinite(step) ? _intervalOfStep(step) : undefined;
  const first = parsed[0]!.time;
  const rows = new Map<number, ReplayRow>();
  for (const { time, row } of parsed) {
    const position = !Number.isFinite(step) ? 0 : interval ? candlesBetween(interval, candleOpenAt(interval, first), candleOpenAt(interval, time)) : Math.round((time - first) / step);
    if (!rows.has(position)) rows.set(position, row);
  }
  return { rows, period: Math.max(...rows.keys()) + 1 };
}

function _intervalOfStep(step: number): Interval | undefined {
  if (step >= 28 * 86_400_000 && step <= 31 * 86_400_000) return "1M";
  return INTERVALS.find((i) => i !== "1M" && intervalMs(i) === step);
}

function _quote(volume: string, prices: string[]): string {
  const v = parseDecimal(volume)!;
  const p = prices.map((x) => rescale(parseDecimal(x)!, 8));
  const mean = p.reduce((sum, x) => sum + x.units, 0n) / BigInt(p.length);
  return formatDecimal(rescale({ units: v.units * mean, scale: v.scale + 8 }, 8));
}

function _half(text: string): string {
  return formatDecimal(fractionOf(parseDecimal(text)!, 500_000));
}

function _fail(message: string): never {
  throw new UserError(message);
}
