/**
 * Reads one candle row straight from bytes, for the audit: the three file formats,
 * their fields (audit-fields.ts) and the OHLC sanity check. It shares nothing with
 * the recorder's formatter on purpose.
 */
import { bytesToText, field, POW10, readDecimal, readEpoch, readInteger, readIso } from "./audit-fields.ts";
import { CR, COMMA, DASH, COLON } from "./ascii.ts";

/** `basic`: the seed's 6 ISO columns; `full`: ours with 11; `dump`: Binance's 12, epoch ms or µs. */
export type CandleFormat = "basic" | "full" | "dump";

export const BASIC_COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"] as const;
export const FULL_COLUMNS = [...BASIC_COLUMNS, "close_time", "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"] as const;
/** data.binance.vision spot dumps have no header; futures dumps use these names. */
export const DUMP_COLUMNS = [
  "open_time", "open", "high", "low", "close", "volume", "close_time",
  "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore",
] as const;

export const FIELD_COUNT: Record<CandleFormat, number> = { basic: 6, full: 11, dump: 12 };

/** What the last successful `parseCandleRow` read. Reused, never reallocated. */
export const parsedRow = {
  /** Open time, epoch ms (fractional when a µs time is not on a millisecond). */
  time: 0,
  /** Close time, epoch ms; NaN in the 6-column format. */
  closeTime: Number.NaN,
  /** True when the open time was written in microseconds (16 digits). */
  micros: false,
  /** Every field read (the row may still fail the OHLC sanity check). */
  wellFormed: false,
};

/** The format a header line announces, or undefined when it is not one of ours. */
export function formatOfHeader(text: string): CandleFormat | undefined {
  const names = text.trim().toLowerCase().split(",").map((s) => s.trim());
  const same = (cols: readonly string[]) => names.length === cols.length && cols.every((c, i) => names[i] === c);
  if (same(BASIC_COLUMNS)) return "basic";
  if (same(FULL_COLUMNS)) return "full";
  if (same(DUMP_COLUMNS)) return "dump";
  return undefined;
}

/** The format of a header-less first row, judged by its first field and field count. */
export function formatOfRow(buf: Uint8Array, start: number, end: number): CandleFormat | undefined {
  end = _trimCr(buf, start, end);
  const fields = countFields(buf, start, end);
  const iso = readIso(buf, start, end) >= 0;
  if (iso && fields === 6) return "basic";
  if (iso && fields === 11) return "full";
  if (!iso && fields === 12 && readEpoch(buf, start, end) >= 0) return "dump";
  return undefined;
}

/**
 * Parses `buf[start, end)` (a trailing `\r` is ignored) as a row of `format` into
 * `parsedRow`. Returns null when it is a sane candle, else the reason it is corrupt.
 */
export function parseCandleRow(buf: Uint8Array, start: number, end: number, format: CandleFormat): string | null {
  end = _trimCr(buf, start, end);
  parsedRow.wellFormed = false;
  let pos = format === "dump" ? readEpoch(buf, start, end) : readIso(buf, start, end);
  if (pos < 0) return _explain(buf, start, end, format, 0);
  parsedRow.time = field.time;
  parsedRow.micros = field.micros;
  const ohlcv = _ohlcv;
  for (let k = 0; k < 5; k++) {
    pos = buf[pos] === COMMA ? readDecimal(buf, pos + 1, end) : -1;
    if (pos < 0) return _explain(buf, start, end, format, k + 1);
    ohlcv[k] = field.num;
    _ohlcvScale[k] = field.scale;
  }
  parsedRow.closeTime = Number.NaN;
  if (format !== "basic") {
    const closeAt = pos + 1;
    pos = buf[pos] === COMMA ? (format === "dump" ? readEpoch(buf, closeAt, end) : readIso(buf, closeAt, end)) : -1;
    if (pos < 0) return _explain(buf, start, end, format, 6);
    parsedRow.closeTime = field.time;
    for (let k = 7; k < 11; k++) {
      pos = buf[pos] === COMMA ? (k === 8 ? readInteger(buf, pos + 1, end) : readDecimal(buf, pos + 1, end)) : -1;
      if (pos < 0 || field.num < 0) return _explain(buf, start, end, format, k);
    }
    if (format === "dump") {
      if (buf[pos] !== COMMA) return _explain(buf, start, end, format, 11);
      pos = _skipField(buf, pos + 1, end);
    }
  }
  if (pos !== end) return _explain(buf, start, end, format, -1);
  parsedRow.wellFormed = true;
  return _sane(ohlcv, _ohlcvScale) ? null : _insanity(ohlcv, _ohlcvScale);
}

/** Number of comma-separated fields in `buf[start, end)`. */
export function countFields(buf: Uint8Array, start: number, end: number): number {
  let n = 1;
  for (let i = start; i < end; i++) if (buf[i] === COMMA) n++;
  return n;
}

/**
 * Where a new ISO row starts inside a torn line (a crash cut a row short and the
 * next run appended after it without a newline), or -1.
 */
export function findGluedRow(buf: Uint8Array, start: number, end: number, format: CandleFormat): number {
  if (format === "dump") return -1; // dumps are downloaded whole, not appended by a crashing writer
  end = _trimCr(buf, start, end);
  for (let p = start + 1; p + 19 <= end; p++) {
    if (buf[p + 4] !== DASH || buf[p + 7] !== DASH || buf[p + 13] !== COLON) continue;
    if (parseCandleRow(buf, p, end, format) === null) return p;
  }
  return -1;
}

/** The row a line holds: the line itself, or the row glued onto its torn start. */
export function rowTextOf(line: string, format: CandleFormat): string {
  const text = line.replace(/\r$/, "");
  const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
  if (parseCandleRow(bytes, 0, bytes.length, format) === null) return text;
  const glued = findGluedRow(bytes, 0, bytes.length, format);
  return glued < 0 ? text : text.slice(glued);
}

/** The open time at the start of a (possibly torn) row, or undefined. */
export function leadingTime(buf: Uint8Array, start: number, end: number, format: CandleFormat): number | undefined {
  const pos = format === "dump" ? readEpoch(buf, start, end) : readIso(buf, start, end);
  return pos < 0 ? undefined : field.time;
}

// --- internal ---

const _ohlcv = new Float64Array(5);
const _ohlcvScale = new Int32Array(5);

function _trimCr(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

function _skipField(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && buf[pos] !== COMMA) pos++;
  return pos;
}

/** `low <= open, close <= high`, `low >= 0`, `volume >= 0`, on exact mantissas when the scales agree. */
function _sane(v: Float64Array, scale: Int32Array): boolean {
  const s = scale[0]!;
  if (s >= 0 && scale[1] === s && scale[2] === s && scale[3] === s) {
    const open = v[0]!;
    const high = v[1]!;
    const low = v[2]!;
    const close = v[3]!;
    return low >= 0 && v[4]! >= 0 && low <= open && low <= close && high >= open && high >= close;
  }
  return _insanity(v, scale) === null;
}

/** Why the OHLCV values are not a candle, or null when they are. */
function _insanity(v: Float64Array, scale: Int32Array): string | null {
  const [open, high, low, close, volume] = [0, 1, 2, 3, 4].map((k) => (scale[k]! < 0 ? v[k]! : v[k]! / POW10[scale[k]!]!)) as [number, number, number, number, number];
  if (low < 0) return `negative price: low ${low}`;
  if (volume < 0) return `negative volume ${volume}`;
  if (low > open || low > close) return `low ${low} is above ${low > open ? `open ${open}` : `close ${close}`}`;
  if (high < open || high < close) return `high ${high} is below ${high < open ? `open ${open}` : `close ${close}`}`;
  return null;
}

/** Why a row failed to parse: the field count, else the first field that does not read. */
function _explain(buf: Uint8Array, start: number, end: number, format: CandleFormat, field: number): string {
  const fields = countFields(buf, start, end);
  const expected = FIELD_COUNT[format];
  if (start === end) return "empty line";
  if (fields !== expected) return `${fields} fields, expected ${expected}`;
  if (field < 0) return "unreadable row";
  const names = format === "dump" ? DUMP_COLUMNS : FULL_COLUMNS;
  let from = start;
  for (let k = 0; k < field; k++) from = _skipField(buf, from, end) + 1;
  const text = bytesToText(buf, from, _skipField(buf, from, end));
  const kind = field === 0 || field === 6 ? "time" : field === 8 ? "count" : "number";
  return `bad ${kind} in ${names[field]}: "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}
