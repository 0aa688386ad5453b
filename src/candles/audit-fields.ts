/**
 * The audit's field readers: decimals, integers, epoch and ISO 8601 times read
 * straight from bytes (no string, no Date.parse per row). Each returns the position
 * after the field (at a comma or the end) or -1, and leaves its value in `field`,
 * one reused object, so the hot path allocates nothing.
 */
import { PLUS, COMMA, DASH, DOT, COLON } from "./ascii.ts";

/** What the last reader read. */
export const field = {
  /** A decimal's exact integer mantissa (scale >= 0), or its double value (scale -1); an integer. */
  num: 0,
  scale: 0,
  /** A time, epoch ms (fractional for a µs time off the millisecond). */
  time: 0,
  /** True when the epoch time was written in microseconds (16 digits). */
  micros: false,
};

/** Integer digits a double holds exactly, so `mantissa / 10^scale` is correctly rounded. */
export const EXACT_DIGITS = 15;

export const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** A decimal `-?\d+(\.\d+)?` ending at a comma or `end`; sets `field.num`/`field.scale`, returns the position after it or -1. */
export function readDecimal(buf: Uint8Array, pos: number, end: number): number {
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
    field.num = Number(bytesToText(buf, negative ? from - 1 : from, pos));
    field.scale = -1;
  } else {
    field.num = negative ? -mantissa : mantissa;
    field.scale = dot < 0 ? 0 : pos - dot - 1;
  }
  return pos;
}

/** A non-negative integer ending at a comma or `end`; sets `field.num`. */
export function readInteger(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  const from = pos;
  for (; pos < end; pos++) {
    const d = buf[pos]! - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  if (pos === from || (pos < end && buf[pos] !== COMMA)) return -1;
  field.num = value;
  return pos;
}

/** Epoch milliseconds (up to 13 digits) or microseconds (16 digits); sets `field.time`, `field.micros`. */
export function readEpoch(buf: Uint8Array, pos: number, end: number): number {
  const from = pos;
  pos = readInteger(buf, pos, end);
  if (pos < 0) return -1;
  const digits = pos - from;
  if (digits === 16) {
    field.time = field.num / 1000;
    field.micros = true;
  } else if (digits <= 13) {
    field.time = field.num;
    field.micros = false;
  } else return -1;
  return pos;
}

/**
 * `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±HH:MM|±HHMM]` (no zone = UTC), converted to
 * UTC epoch ms by arithmetic; sets `field.time`, returns the position after it or -1.
 */
export function readIso(buf: Uint8Array, pos: number, end: number): number {
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
  // Never past `end`: the bytes after a line are another line's, or stale in a reused buffer.
  const z = pos < end ? buf[pos] : -1;
  if (z === 90 || z === 122) pos++;
  else if (z === PLUS || z === DASH) {
    const colon = pos + 3 < end && buf[pos + 3] === COLON ? 1 : 0;
    if (pos + 5 + colon > end) return -1;
    const hh = _digits(buf, pos + 1, 2);
    const mm = _digits(buf, pos + 3 + colon, 2);
    if (hh < 0 || hh > 14 || mm < 0 || mm > 59) return -1;
    offsetMin = (z === PLUS ? 1 : -1) * (hh * 60 + mm);
    pos += 5 + colon;
  }
  if (pos < end && buf[pos] !== COMMA) return -1;
  field.time = base + minute * 60_000 + second * 1000 + ms - offsetMin * 60_000;
  field.micros = false;
  return pos;
}

/** Latin-1 text of a byte range (for messages and the rare slow path). */
export function bytesToText(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

// --- internal ---

const DAY_MS = 86_400_000;
const PREFIX_BYTES = 13;
const _prefix = new Uint8Array(PREFIX_BYTES);
let _prefixMs = -1;

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
