/**
 * Exact decimal strings for the simulator, on BigInt: prices and volumes never pass
 * through a float once they are candle values.
 */
export interface Decimal {
  /** The value times 10^scale. */
  units: bigint;
  /** Digits after the point. */
  scale: number;
}

/** Reads `"28039.71000000"`, `"12"` or `".5"`; undefined when it is not a plain decimal. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
  const frac = m[3] ?? "";
  const units = BigInt((m[2] || "0") + frac);
  return { units: m[1] === "-" ? -units : units, scale: frac.length };
}

/** Writes `units × 10^-scale` with exactly `scale` digits after the point (none when 0). */
export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, "0");
  const whole = digits.slice(0, digits.length - value.scale);
  const text = value.scale > 0 ? `${whole}.${digits.slice(digits.length - value.scale)}` : whole;
  return negative ? `-${text}` : text;
}

/** The same value at another scale, rounding half up when digits are dropped. */
export function rescale(value: Decimal, scale: number): Decimal {
  if (scale >= value.scale) return { units: value.units * 10n ** BigInt(scale - value.scale), scale };
  const divisor = 10n ** BigInt(value.scale - scale);
  return { units: (value.units + divisor / 2n) / divisor, scale };
}

/** `units × 10^-scale` written with 8 decimals, as Binance writes every kline decimal. */
export function binanceDecimal(units: bigint | number, scale: number): string {
  if (typeof units === "number" && Number.isSafeInteger(units) && scale >= 0 && scale <= 8) return _padded(units, scale);
  return formatDecimal(rescale({ units: BigInt(units), scale }, 8));
}

/** `value × parts / 1_000_000`, rounded down: a fraction of an amount without floats. */
export function fractionOf(value: Decimal, partsPerMillion: number): Decimal {
  return { units: (value.units * BigInt(Math.round(partsPerMillion))) / 1_000_000n, scale: value.scale };
}

// --- internal ---

/** `binanceDecimal` without BigInt when no digit is dropped (the hot path of every candle). */
function _padded(units: number, scale: number): string {
  const digits = Math.abs(units).toString().padStart(scale + 1, "0");
  const cut = digits.length - scale;
  return `${units < 0 ? "-" : ""}${digits.slice(0, cut)}.${digits.slice(cut).padEnd(8, "0")}`;
}
