import type { Candle } from "./candle.ts";
import { rowOpenTime } from "./csv.ts";

/** The CSV columns in file order (6 = kstlib's basic header, 11 = ours with `csv.columns: full`). */
const FIELDS = ["timestamp", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"] as const;

/**
 * The fields in which a CSV row disagrees with the exchange's candle; [] when it agrees.
 * A decimal written with fewer digits than the exchange's (kstlib rounds to 2) agrees when
 * it is the exchange's value rounded to that many digits. Compared exactly, never as floats.
 */
export function rowDifferences(line: string, candle: Candle): string[] {
  const cells = line.replace(/\r$/, "").split(",");
  if (cells.length !== 6 && cells.length !== 11) return ["row"];
  const exchange = [
    undefined, candle.open, candle.high, candle.low, candle.close, candle.volume,
    undefined, candle.quoteVolume, String(candle.trades), candle.takerBuyBase, candle.takerBuyQuote,
  ];
  const out: string[] = [];
  if (rowOpenTime(line) !== candle.openTime) out.push("timestamp");
  for (let i = 1; i < cells.length; i++) {
    if (i === 6) {
      if (Date.parse(cells[i]!) !== candle.closeTime) out.push("close_time");
      continue;
    }
    if (!sameDecimal(cells[i]!, exchange[i]!)) out.push(FIELDS[i]!);
  }
  return out;
}

/** True when `written` is `exact`, or `exact` rounded to as many decimals as `written` has. */
export function sameDecimal(written: string, exact: string): boolean {
  const w = _parse(written);
  const e = _parse(exact);
  if (!w || !e) return written === exact;
  const scale = Math.max(w.digits, e.digits);
  const diff = _scaled(w, scale) - _scaled(e, scale);
  const abs = diff < 0n ? -diff : diff;
  if (w.digits >= e.digits) return abs === 0n;
  // Half a unit of the written value's last digit.
  return 2n * abs <= 10n ** BigInt(scale - w.digits);
}

// --- internal ---

interface Decimal {
  negative: boolean;
  whole: string;
  fraction: string;
  digits: number;
}

function _parse(text: string): Decimal | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const fraction = (m[3] ?? "").replace(/0+$/, "");
  return { negative: m[1] === "-", whole: m[2]!, fraction, digits: fraction.length };
}

function _scaled(d: Decimal, scale: number): bigint {
  const value = BigInt(d.whole + d.fraction.padEnd(scale, "0"));
  return d.negative ? -value : value;
}
