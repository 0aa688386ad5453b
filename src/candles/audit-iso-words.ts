/**
 * The fast path's time check: is the ISO time at a position exactly `t`, spelled as
 * our and the seed's writers spell it (`YYYY-MM-DDTHH:MM:SSZ`, `…:SS.mmmZ` for a close
 * time)? Compared against the expected spelling, nothing parsed and nothing divided:
 * the hour's `YYYY-MM-DDTH` is built once an hour (as three 4-byte words), the minute
 * and second digits come from a table. Any other spelling (an offset, a space for `T`,
 * no `Z`) answers -1 and the caller parses it (audit-fields.ts `readIso`), so this only
 * makes the common case cheap.
 */
import { DASH, DOT, ZERO, COLON, TEE, ZED } from "./ascii.ts";

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
  if ((buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) !== hour.w0) return -1;
  if ((buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) !== hour.w1) return -1;
  if ((buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) !== hour.w2) return -1;
  // No division per row: multiplying by the inverse, half a unit in, truncates exactly for whole ms below an hour.
  const minute = ((inHour + 0.5) * INV_MINUTE) | 0;
  const rest = inHour - minute * MINUTE_MS;
  const second = ((rest + 0.5) * INV_SECOND) | 0;
  const mp = PAIRS[minute]!;
  const sp = PAIRS[second]!;
  if (buf[pos + 12] !== hour.hourDigit || buf[pos + 13] !== COLON || buf[pos + 14] !== (mp & 255) || buf[pos + 15] !== mp >> 8) return -1;
  if (buf[pos + 16] !== COLON || buf[pos + 17] !== (sp & 255) || buf[pos + 18] !== sp >> 8) return -1;
  if (!millis) return rest === second * 1000 && buf[pos + 19] === ZED ? pos + 20 : -1;
  const ms = rest - second * 1000;
  const hundreds = ((ms + 0.5) * INV_HUNDRED) | 0;
  const lp = PAIRS[ms - hundreds * 100]!;
  return buf[pos + 19] === DOT && buf[pos + 20] === ZERO + hundreds && buf[pos + 21] === (lp & 255) && buf[pos + 22] === lp >> 8 && buf[pos + 23] === ZED ? pos + 24 : -1;
}

// --- internal ---

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const INV_MINUTE = 1 / MINUTE_MS;
const INV_SECOND = 1 / 1000;
const INV_HUNDRED = 1 / 100;
/** `00`..`99` as two little-endian bytes. */
const PAIRS = Int32Array.from({ length: 100 }, (_, n) => (ZERO + Math.floor(n / 10)) | ((ZERO + (n % 10)) << 8));

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
