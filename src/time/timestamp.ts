import { UserError } from "../errors.ts";

/** `2024-01-02T03:00:00Z`: a candle's open time in the CSV. */
export function formatIsoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

/** `2024-01-02T03:00:00.000Z`. */
export function formatIsoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Reads a user-given time: ISO 8601 (a date alone is midnight UTC; no zone means UTC)
 * or epoch milliseconds. `now` is accepted when `now` is given.
 */
export function parseTime(text: string, what: string, now?: number): number {
  const s = text.trim();
  if (now !== undefined && s.toLowerCase() === "now") return now;
  if (/^\d{1,16}$/.test(s)) {
    const n = Number(s);
    return s.length >= 16 ? Math.floor(n / 1000) : n;
  }
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`;
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(ms)) {
    throw new UserError(`${what}: "${text}" is not a time; give ISO 8601 (2024-01-31T12:00:00Z) or epoch milliseconds`);
  }
  return ms;
}
