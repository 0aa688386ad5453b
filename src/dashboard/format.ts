import { intervalMs, isInterval } from "../time/intervals.ts";
/** Small pure formatters for the dashboard: ages, times, sizes and exact decimals. */

/** `0s` … `59s`, `4m05s`, `3h07m`, `2d04h`: an age or countdown, to the second (never negative). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${_two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${_two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${_two(Math.floor(s / 3600) % 24)}h`;
}

/** `13:04:05` (UTC). */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** `2024-01-02 13:04` (UTC), or `01-02 13:04` when `short`. */
export function formatMinute(ms: number, short = false): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(short ? 5 : 0, 10)} ${iso.slice(11, 16)}`;
}

/** `2024-01-02 13:04:05` (UTC), or `01-02 13:04:05` when `short`: for sub-minute candles. */
export function formatSecond(ms: number, short = false): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(short ? 5 : 0, 10)} ${iso.slice(11, 19)}`;
}

/** A candle's open time: `formatSecond` for sub-minute intervals (1s candles would all read the same minute), else `formatMinute`. */
export function formatOpenTime(interval: string, ms: number, short = false): string {
  return isInterval(interval) && intervalMs(interval) < 60_000 ? formatSecond(ms, short) : formatMinute(ms, short);
}

/** `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** `512 B`, `1.5 KiB`, `12.3 MiB`, `1.02 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

/**
 * Decimal strings made the same width with their decimal points in one column. Trailing
 * fraction zeros are dropped down to the longest fraction in the column, and nothing is
 * ever rounded: `["42000.01000000", "41999.50000000"]` gives `["42000.01", "41999.50"]`.
 * Strings that are not plain decimals are right-aligned as they are.
 */
export function alignDecimals(values: readonly string[]): string[] {
  const parts = values.map(_splitDecimal);
  const fracWidth = Math.max(0, ...parts.map((p) => (p ? p.frac.length : 0)));
  const cells = values.map((value, i) => {
    const p = parts[i];
    if (!p) return value;
    return fracWidth === 0 ? p.int : `${p.int}.${p.frac.padEnd(fracWidth, "0")}`;
  });
  const width = Math.max(0, ...cells.map((c) => c.length));
  return cells.map((c) => c.padStart(width));
}

/** Exact comparison of two non-negative decimal strings: -1, 0 or 1 (NaN-safe fallback on numbers). */
export function compareDecimals(a: string, b: string): number {
  const pa = _splitDecimal(a);
  const pb = _splitDecimal(b);
  if (!pa || !pb || pa.int.startsWith("-") || pb.int.startsWith("-")) return Math.sign(Number(a) - Number(b)) || 0;
  const ia = pa.int.replace(/^0+(?=\d)/, "");
  const ib = pb.int.replace(/^0+(?=\d)/, "");
  if (ia.length !== ib.length) return ia.length < ib.length ? -1 : 1;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const width = Math.max(pa.frac.length, pb.frac.length);
  const fa = pa.frac.padEnd(width, "0");
  const fb = pb.frac.padEnd(width, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

const SPARK_UTF8 = "▁▂▃▄▅▆▇█";
const SPARK_ASCII = "_.-~^";

/** One character per value, low to high (`▁`…`█`, or `_.-~^` without UTF-8). */
export function sparkline(values: readonly number[], utf8: boolean): string {
  const ramp = utf8 ? SPARK_UTF8 : SPARK_ASCII;
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return "";
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return " ";
      const level = max === min ? Math.floor((ramp.length - 1) / 2) : Math.round(((v - min) / (max - min)) * (ramp.length - 1));
      return ramp[level]!;
    })
    .join("");
}

// --- internal ---

function _two(n: number): string {
  return String(n).padStart(2, "0");
}

/** `"0042.5000"` → `{ int: "0042", frac: "5" }` (trailing zeros dropped); null when not a decimal. */
function _splitDecimal(value: string): { int: string; frac: string } | null {
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!m) return null;
  return { int: m[1]!, frac: (m[2] ?? "").replace(/0+$/, "") };
}
