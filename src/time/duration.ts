import { UserError } from "../errors.ts";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/y;

/**
 * Parses `500ms`, `10s`, `15m`, `4h`, `1d`, `1h30m` into milliseconds.
 * A bare number is read in `bareUnit` (kstlib keys keep their unit: seconds, or minutes
 * for `modulo_minutes`); without one a bare number other than 0 is an error.
 */
export function parseDuration(text: string | number, what: string, bareUnit?: "s" | "m" | "ms"): number {
  if (typeof text === "number") {
    if (!Number.isFinite(text) || text < 0) throw new UserError(`${what}: ${text} is not a valid duration (it must be 0 or more)`);
    return Math.round(text * UNIT_MS[bareUnit ?? "s"]!);
  }
  const s = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) {
    if (bareUnit) return Math.round(Number(s) * UNIT_MS[bareUnit]!);
    if (Number(s) === 0) return 0;
    throw new UserError(`${what}: "${text}" has no unit; write it like 500ms, 10s, 15m, 4h, 1d or 1h30m`);
  }
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (!m) throw new UserError(`${what}: "${text}" is not a duration; write it like 500ms, 10s, 15m, 4h, 1d or 1h30m`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (s.length === 0) throw new UserError(`${what}: empty duration; write it like 10s or 4h`);
  return Math.round(total);
}

/** `4h`, `1h30m`, `10s`, `500ms`: the shortest exact text for a duration. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
