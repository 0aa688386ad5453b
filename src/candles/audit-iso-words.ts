/**
 * The fast path's time check: is the ISO time at a position exactly `t`, spelled as
 * our and the seed's writers spell it (`YYYY-MM-DDTHH:MM:SSZ`, `…:SS.mmmZ` for a close
 * time)? Compared four bytes at a time against the expected spelling, nothing parsed:
 * the hour's three words are built once an hour, the minute and second words per row.
 * Any other spelling (an offset, a space for `T`, no `Z`) answers -1 and the caller
 * parses it (audit-fields.ts `readIso`), so this only makes the common case cheap.
 */

/** The expected words of one hour, reused while the times stay in it. */
export interface HourWords {
  /** Epoch ms of the hour; NaN before the first. */
  ms: number;
  /** `YYYY`, `-MM-`, `DDTH` as little-endian words, and the hour's last digit. */
  w0: number;
  w1: number;
  w2: number;
  hourDigit: number;
}

export function createHourWords(): HourWords {
  return { ms: Number.NaN, w0: 0, w1: 0, w2: 0, hourDigit: 0 };
}

/**
 * The position after the time at `pos` when its bytes are `t` spelled with seconds
 * (`millis` false: `…:SSZ`) or milliseconds (`…:SS.mmmZ`), else -1. `buf` must hold
 * 24 bytes from `pos`.
 */
export function isoWordsEnd(buf: Uint8Array, pos: number, t: number, millis: boolean, hour: HourWords): number {
  if (Math.floor(t) !== t) return -1; // a time off the millisecond is never spelled so
  let inHour = t - hour.ms;
  if (!(inHour >= 0 && inHour < HOUR_MS)) {
    if (!_setHour(hour, t - (((t % HOUR_MS) + HOUR_MS) % HOUR_MS))) return -1;
    inHour = t - hour.ms;
  }
  const view = _viewOf(buf);
  if (view.getInt32(pos, true) !== hour.w0 || view.getInt32(pos + 4, true) !== hour.w1 || view.getInt32(pos + 8, true) !== hour.w2) return -1;
  // No division per row: multiplying by the inverse, half a unit in, truncates exactly for whole ms below an hour.
  const minute = ((inHour + 0.5) * INV_MINUTE) | 0;
  const rest = inHour - minute * MINUTE_MS;
  const second = ((rest + 0.5) * INV_SECOND) | 0;
  if (view.getInt32(pos + 12, true) !== (hour.hourDigit | (COLON << 8) | (PAIRS[minute]! << 16))) return -1;
  if (!millis) return rest === second * 1000 && view.getInt32(pos + 16, true) === (COLON | (PAIRS[second]! << 8) | (ZED << 24)) ? pos + 20 : -1;
  const ms = rest - second * 1000;
  const hundreds = ((ms + 0.5) * INV_HUNDRED) | 0;
  if (view.getInt32(pos + 16, true) !== (COLON | (PAIRS[second]! << 8) | (DOT << 24))) return -1;
  return view.getInt32(pos + 20, true) === ((ZERO + hundreds) | (PAIRS[ms - hundreds * 100]! << 8) | (ZED << 24)) ? pos + 24 : -1;
}

// --- internal ---

const ZERO = 48;
const COLON = 58;
const DOT = 46;
const ZED = 90;
const DASH = 45;
const TEE = 84;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const INV_MINUTE = 1 / MINUTE_MS;
const INV_SECOND = 1 / 1000;
const INV_HUNDRED = 1 / 100;
/** `00`..`99` as two little-endian bytes. */
const PAIRS = Int32Array.from({ length: 100 }, (_, n) => (ZERO + Math.floor(n / 10)) | ((ZERO + (n % 10)) << 8));

let _viewBuf: Uint8Array | undefined;
let _view: DataView = new DataView(new ArrayBuffer(0));

/** A DataView of `buf`, kept while the same buffer comes back (one per chunk, not per row). */
function _viewOf(buf: Uint8Array): DataView {
  if (buf !== _viewBuf) {
    _view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    _viewBuf = buf;
  }
  return _view;
}

/** Builds the words of the hour starting at `ms` (H. Hinnant's civil_from_days). False for a year without four digits. */
function _setHour(hour: HourWords, ms: number): boolean {
  hour.ms = Number.NaN;
  const days = Math.floor(ms / DAY_MS);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (!(year >= 0 && year <= 9999)) return false;
  const hh = Math.floor((ms - days * DAY_MS) / HOUR_MS);
  hour.w0 = PAIRS[Math.floor(year / 100)]! | (PAIRS[year % 100]! << 16);
  hour.w1 = DASH | (PAIRS[month]! << 8) | (DASH << 24);
  hour.w2 = PAIRS[day]! | (TEE << 16) | ((ZERO + Math.floor(hh / 10)) << 24);
  hour.hourDigit = ZERO + (hh % 10);
  hour.ms = ms;
  return true;
}
