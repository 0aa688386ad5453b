/**
 * Reads one candle row straight from bytes, for the audit: the three file formats,
 * a hand-rolled ISO 8601 and decimal reader (no Date.parse, no string per row), and
 * the OHLC sanity check. It shares nothing with the recorder's formatter on purpose.
 */

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
  const iso = _readIso(buf, start, end) >= 0;
  if (iso && fields === 6) return "basic";
  if (iso && fields === 11) return "full";
  if (!iso && fields === 12 && _readEpoch(buf, start, end) >= 0) return "dump";
  return undefined;
}

/**
 * Parses `buf[start, end)` (a trailing `\r` is ignored) as a row of `format` into
 * `parsedRow`. Returns null when it is a sane candle, else the reason it is corrupt.
 */
export function parseCandleRow(buf: Uint8Array, start: number, end: number, format: CandleFormat): string | null {
  end = _trimCr(buf, start, end);
  let pos = format === "dump" ? _readEpoch(buf, start, end) : _readIso(buf, start, end);
  if (pos < 0) return _explain(buf, start, end, format, 0);
  parsedRow.time = _time;
  parsedRow.micros = _micros;
  const ohlcv = _ohlcv;
  for (let k = 0; k < 5; k++) {
    pos = buf[pos] === COMMA ? _readDecimal(buf, pos + 1, end) : -1;
    if (pos < 0) return _explain(buf, start, end, format, k + 1);
    ohlcv[k] = _num;
    _ohlcvScale[k] = _scale;
  }
  parsedRow.closeTime = Number.NaN;
  if (format !== "basic") {
    const closeAt = pos + 1;
    pos = buf[pos] === COMMA ? (format === "dump" ? _readEpoch(buf, closeAt, end) : _readIso(buf, closeAt, end)) : -1;
    if (pos < 0) return _explain(buf, start, end, format, 6);
    parsedRow.closeTime = _time;
    for (let k = 7; k < 11; k++) {
      pos = buf[pos] === COMMA ? (k === 8 ? _readInteger(buf, pos + 1, end) : _readDecimal(buf, pos + 1, end)) : -1;
      if (pos < 0 || _num < 0) return _explain(buf, start, end, format, k);
    }
    if (format === "dump") {
      if (buf[pos] !== COMMA) return _explain(buf, start, end, format, 11);
      pos = _skipField(buf, pos + 1, end);
    }
  }
  if (pos !== end) return _explain(buf, start, end, format, -1);
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
  const pos = format === "dump" ? _readEpoch(buf, start, end) : _readIso(buf, start, end);
  return pos < 0 ? undefined : _time;
}

/** Latin-1 text of a byte range (for messages and the rare slow path). */
export function bytesToText(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

// --- internal ---

const COMMA = 44;
const DASH = 45;
const DOT = 46;
const COLON = 58;
const PLUS = 43;
const CR = 13;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
/** Integer digits a double holds exactly, so `mantissa / 10^scale` is correctly rounded. */
const EXACT_DIGITS = 15;
const DAY_MS = 86_400_000;

/** The last number read: an exact integer mantissa with its decimal scale, or (scale -1) a double. */
let _num = 0;
let _scale = 0;
let _time = 0;
let _micros = false;
const _ohlcv = new Float64Array(5);
const _ohlcvScale = new Int32Array(5);
const PREFIX_BYTES = 13;
const _prefix = new Uint8Array(PREFIX_BYTES);
let _prefixMs = -1;

function _trimCr(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

/** A decimal `-?\d+(\.\d+)?` ending at a comma or `end`; sets `_num`, returns the position after it or -1. */
function _readDecimal(buf: Uint8Array, pos: number, end: number): number {
  const negative = pos < end && buf[pos] === DASH;
  if (negative) pos++;
  const from = pos;
  let mantissa = 0;
  let dot = -1;
  for (; pos < end; pos++) {
    const d = buf[pos]! - 48;
    if (d >>> 0 <= 9) mantissa = mantissa * 10 + d;
    else if (d === DOT - 48 && dot < 0) dot = pos;
    else break;
  }
  const digits = pos - from - (dot < 0 ? 0 : 1);
  if (digits === 0 || dot === from || dot === pos - 1 || (pos < end && buf[pos] !== COMMA)) return -1;
  if (digits > EXACT_DIGITS || pos - dot > POW10.length) {
    _num = Number(bytesToText(buf, negative ? from - 1 : from, pos));
    _scale = -1;
  } else {
    _num = negative ? -mantissa : mantissa;
    _scale = dot < 0 ? 0 : pos - dot - 1;
  }
  return pos;
}

/** A non-negative integer ending at a comma or `end`; sets `_num`. */
function _readInteger(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  const from = pos;
  for (; pos < end; pos++) {
    const d = buf[pos]! - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  if (pos === from || (pos < end && buf[pos] !== COMMA)) return -1;
  _num = value;
  return pos;
}

/** Epoch milliseconds (up to 13 digits) or microseconds (16 digits); sets `_time`, `_micros`. */
function _readEpoch(buf: Uint8Array, pos: number, end: number): number {
  const from = pos;
  pos = _readInteger(buf, pos, end);
  if (pos < 0) return -1;
  const digits = pos - from;
  if (digits === 16) {
    _time = _num / 1000;
    _micros = true;
  } else if (digits <= 13) {
    _time = _num;
    _micros = false;
  } else return -1;
  return pos;
}

/**
 * `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±HH:MM|±HHMM]` (no zone = UTC), converted to
 * UTC epoch ms by arithmetic; sets `_time`, returns the position after it or -1.
 */
function _readIso(buf: Uint8Array, pos: number, end: number): number {
  if (end - pos < 19) return -1;
  let base = -1;
  if (_prefixMs >= 0) {
    base = _prefixMs;
    for (let i = 0; i < PREFIX_BYTES; i++) {
      if (buf[pos + i] !== _prefix[i]) {
        base = -1;
        break;
      }
    }
  }
  if (base < 0) base = _readIsoPrefix(buf, pos);
  if (base < 0 || buf[pos + 13] !== COLON || buf[pos + 16] !== COLON) return -1;
  const minute = _digits(buf, pos + 14, 2);
  const second = _digits(buf, pos + 17, 2);
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  pos += 19;
  let ms = 0;
  if (pos < end && buf[pos] === DOT) {
    const from = ++pos;
    let subMs = false;
    for (; pos < end; pos++) {
      const d = buf[pos]! - 48;
      if (d < 0 || d > 9) break;
      const k = pos - from;
      if (k < 3) ms += d * POW10[2 - k]!;
      else if (d !== 0) subMs = true;
    }
    if (pos === from) return -1;
    if (subMs) ms += 0.5; // not on a millisecond: can never be aligned
  }
  let offsetMin = 0;
  const z = buf[pos];
  if (z === 90 || z === 122) pos++;
  else if (z === PLUS || z === DASH) {
    const hh = _digits(buf, pos + 1, 2);
    const colon = buf[pos + 3] === COLON ? 1 : 0;
    const mm = _digits(buf, pos + 3 + colon, 2);
    if (hh < 0 || hh > 14 || mm < 0 || mm > 59) return -1;
    offsetMin = (z === PLUS ? 1 : -1) * (hh * 60 + mm);
    pos += 5 + colon;
  }
  if (pos < end && buf[pos] !== COMMA) return -1;
  _time = base + minute * 60_000 + second * 1000 + ms - offsetMin * 60_000;
  _micros = false;
  return pos;
}

/**
 * `YYYY-MM-DD[T ]HH` at `pos` as epoch ms, remembered with its bytes: rows of one
 * hour share it, so most rows skip the calendar arithmetic. -1 when invalid.
 */
function _readIsoPrefix(buf: Uint8Array, pos: number): number {
  const sep = buf[pos + 10];
  if (buf[pos + 4] !== DASH || buf[pos + 7] !== DASH || (sep !== 84 && sep !== 32)) return -1;
  const year = _digits(buf, pos, 4);
  const month = _digits(buf, pos + 5, 2);
  const day = _digits(buf, pos + 8, 2);
  const hour = _digits(buf, pos + 11, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > _daysInMonth(year, month) || hour < 0 || hour > 23) return -1;
  _prefix.set(buf.subarray(pos, pos + PREFIX_BYTES));
  _prefixMs = _daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000;
  return _prefixMs;
}

function _skipField(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && buf[pos] !== COMMA) pos++;
  return pos;
}

function _digits(buf: Uint8Array, pos: number, count: number): number {
  let value = 0;
  for (let i = pos; i < pos + count; i++) {
    const d = buf[i]! - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

function _daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function _daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
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
