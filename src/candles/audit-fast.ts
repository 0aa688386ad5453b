/**
 * The audit's fast path: a run of plain rows, each the candle right after the one
 * before, on consecutive lines, is read in one tight loop over the bytes (no line
 * splitting, no callback, no allocation per row), and counted as one extension of
 * the current run of the candle set.
 *
 * It accepts a strict subset of what `parseCandleRow` accepts, with the same values:
 * the open time is exactly the one expected, prices have at most 15 digits and one
 * scale (compared as exact integers, as the slow check does), nothing is negative,
 * the close time lies inside its candle. Any other line stops the loop and is left
 * to the general path, which gives it its finding. So a finding can never differ
 * between the two paths; `tests/candles/audit-fast.test.ts` compares them on
 * damaged files.
 */
import { EXACT_DIGITS, field, readEpoch, readIso } from "./audit-fields.ts";
import { createHourWords, isoWordsEnd } from "./audit-iso-words.ts";
import type { CandleFormat } from "./audit-row.ts";
import { NL, CR, COMMA, DOT, ZERO, NINE } from "./ascii.ts";

/** Longest row the fast path reads: it stops this far before the end of the buffer, so it never reads past it. */
export const FAST_ROW_BYTES = 512;

/** Where the last `scanInOrder` stopped: the start of the first line it did not take. */
export const fastScan = { pos: 0 };

/**
 * Reads rows of `format` from `buf` at `pos` while each is the in-order candle at
 * `next`, `next + stepMs`, …, well-formed and sane, and ends with a newline before
 * `end - FAST_ROW_BYTES`. Returns how many it took; `fastScan.pos` is after the last.
 * Dump times in microseconds are taken only once the file is known to use them
 * (`micros`): the general path records that on the first.
 */
export function scanInOrder(buf: Uint8Array, pos: number, end: number, format: CandleFormat, next: number, stepMs: number, micros = false): number {
  const limit = end - FAST_ROW_BYTES;
  let rows = 0;
  while (pos <= limit) {
    const after = format === "basic" ? _basicRow(buf, pos, next) : format === "full" ? _fullRow(buf, pos, next, stepMs) : _dumpRow(buf, pos, next, stepMs, micros);
    if (after < 0) break;
    pos = after;
    next += stepMs;
    rows++;
  }
  fastScan.pos = pos;
  return rows;
}

// --- internal ---

/** Longest field the fast path reads; longer ones go to the general path. */
const MAX_FIELD = 40;

/** The spelled hours of open and close times: they change hourly, so each keeps its own. */
const _openHour = createHourWords();
const _closeHour = createHourWords();

/** What the last `_decimal` read. */
let _mantissa = 0;
let _scale = 0;

/** `timestamp,open,high,low,close,volume` then `\r?\n`: the position after the newline, or -1. */
function _basicRow(buf: Uint8Array, pos: number, next: number): number {
  pos = _time(buf, pos, next);
  if (pos < 0) return -1;
  pos = _ohlcv(buf, pos);
  return pos < 0 ? -1 : _lineEnd(buf, pos);
}

/** The 6 columns, then `,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote`. */
function _fullRow(buf: Uint8Array, pos: number, next: number, stepMs: number): number {
  pos = _time(buf, pos, next);
  if (pos < 0) return -1;
  pos = _ohlcv(buf, pos);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  pos = _closeTime(buf, pos + 1, next, stepMs);
  if (pos < 0) return -1;
  pos = _tail(buf, pos);
  return pos < 0 ? -1 : _lineEnd(buf, pos);
}

/** Binance's 12 columns: epoch ms (or µs, when `micros`) times, then `ignore`, whatever it holds. */
function _dumpRow(buf: Uint8Array, pos: number, next: number, stepMs: number, micros: boolean): number {
  const at = readEpoch(buf, pos, pos + MAX_FIELD);
  if (at < 0 || (field.micros && !micros) || field.time !== next || buf[at] !== COMMA) return -1;
  pos = _ohlcv(buf, at);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  pos = readEpoch(buf, pos + 1, pos + 1 + MAX_FIELD);
  if (pos < 0 || (field.micros && !micros) || buf[pos] !== COMMA || !(field.time >= next && field.time < next + stepMs)) return -1;
  pos = _tail(buf, pos);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  const from = ++pos;
  for (let c = buf[pos]; c !== NL && c !== COMMA && c !== CR; c = buf[++pos]) if (pos - from >= MAX_FIELD) return -1;
  return _lineEnd(buf, pos);
}

/** The ISO open time at `pos`, which must be `next` and end at a comma: the position of that comma, or -1. */
function _time(buf: Uint8Array, pos: number, next: number): number {
  let at = isoWordsEnd(buf, pos, next, false, _openHour);
  if (at < 0) {
    at = readIso(buf, pos, pos + MAX_FIELD);
    if (at < 0 || field.time !== next) return -1;
  }
  return buf[at] === COMMA ? at : -1;
}

/** The ISO close time at `pos`, inside the candle opening at `next`, ending at a comma: the position of that comma, or -1. */
function _closeTime(buf: Uint8Array, pos: number, next: number, stepMs: number): number {
  let at = isoWordsEnd(buf, pos, next + stepMs - 1, true, _closeHour);
  if (at < 0) {
    at = readIso(buf, pos, pos + MAX_FIELD);
    if (at < 0 || !(field.time >= next && field.time < next + stepMs)) return -1;
  }
  return buf[at] === COMMA ? at : -1;
}

/** `,open,high,low,close,volume` at `pos` (on the comma): sane OHLC at one scale, volume >= 0. The position after volume, or -1. */
function _ohlcv(buf: Uint8Array, pos: number): number {
  pos = _decimal(buf, pos + 1);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  const open = _mantissa;
  const scale = _scale;
  pos = _decimal(buf, pos + 1);
  if (pos < 0 || buf[pos] !== COMMA || _scale !== scale) return -1;
  const high = _mantissa;
  pos = _decimal(buf, pos + 1);
  if (pos < 0 || buf[pos] !== COMMA || _scale !== scale) return -1;
  const low = _mantissa;
  pos = _decimal(buf, pos + 1);
  if (pos < 0 || buf[pos] !== COMMA || _scale !== scale) return -1;
  const close = _mantissa;
  if (low > open || low > close || high < open || high < close) return -1;
  return _unsigned(buf, pos + 1, true);
}

/** `,quote_volume,trades,taker_buy_base,taker_buy_quote` at `pos` (on the comma), none negative: the position after, or -1. */
function _tail(buf: Uint8Array, pos: number): number {
  pos = _unsigned(buf, pos + 1, true);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  pos = _unsigned(buf, pos + 1, false);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  pos = _unsigned(buf, pos + 1, true);
  if (pos < 0 || buf[pos] !== COMMA) return -1;
  return _unsigned(buf, pos + 1, true);
}

/** `\r?\n` at `pos`: the position after it, or -1. */
function _lineEnd(buf: Uint8Array, pos: number): number {
  if (buf[pos] === CR) pos++;
  return buf[pos] === NL ? pos + 1 : -1;
}

/** `\d+(\.\d+)?` with at most 15 digits, as an exact mantissa and scale: the position after it, or -1. */
function _decimal(buf: Uint8Array, pos: number): number {
  const from = pos;
  let m = 0;
  let c = buf[pos]!;
  if (!(c >= ZERO && c <= NINE)) return -1;
  do {
    m = m * 10 + (c - ZERO);
    c = buf[++pos]!;
  } while (c >= ZERO && c <= NINE);
  let scale = 0;
  if (c === DOT) {
    const dot = pos;
    c = buf[++pos]!;
    if (!(c >= ZERO && c <= NINE)) return -1;
    do {
      m = m * 10 + (c - ZERO);
      c = buf[++pos]!;
    } while (c >= ZERO && c <= NINE);
    scale = pos - dot - 1;
  }
  if (pos - from - (scale > 0 ? 1 : 0) > EXACT_DIGITS) return -1;
  _mantissa = m;
  _scale = scale;
  return pos;
}

/** An unsigned `\d+` (`\d+(\.\d+)?` when `fraction`) of at most MAX_FIELD bytes, syntax only: the position after it, or -1. */
function _unsigned(buf: Uint8Array, pos: number, fraction: boolean): number {
  const from = pos;
  let c = buf[pos]!;
  if (!(c >= ZERO && c <= NINE)) return -1;
  do c = buf[++pos]!;
  while (c >= ZERO && c <= NINE);
  if (c === DOT && fraction) {
    c = buf[++pos]!;
    if (!(c >= ZERO && c <= NINE)) return -1;
    do c = buf[++pos]!;
    while (c >= ZERO && c <= NINE);
  }
  return pos - from > MAX_FIELD ? -1 : pos;
}
