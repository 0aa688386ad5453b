/** Binance's first IP ban after ignoring a 429's Retry-After (bans then grow, up to 3 days). */
export const BAN_MS = 120_000;

/** What the weight limit says about one request. */
export type WeightVerdict =
  | { kind: "ok"; used: number }
  /** Over the limit: wait until the end of the minute. */
  | { kind: "429"; used: number; retryAfterS: number }
  /** Asked during a pending Retry-After (`newBan`) or during the ban. */
  | { kind: "418"; used: number; retryAfterS: number; newBan: boolean; until: number };

export interface WeightMeter {
  /** Accounts one request of `weight` at `now`. */
  charge(now: number, weight: number): WeightVerdict;
  /** Weight used in the minute of `now`. */
  used(now: number): number;
  /** The most weight any minute has used so far. */
  readonly peak: number;
}

/**
 * Binance's REQUEST_WEIGHT limit per fixed UTC minute. Over it, a 429 whose Retry-After
 * runs to the end of the minute; any request before then is a 418 and a BAN_MS ban, and
 * every request during the ban is a 418 too (the ban's end does not move). Requests
 * answered 418 use no weight. Pure accounting: time comes in as `now`.
 */
export function createWeightMeter(limit: number): WeightMeter {
  let minute = -1;
  let used = 0;
  let peak = 0;
  let retryUntil = 0;
  let banUntil = 0;
  const roll = (now: number) => {
    const m = Math.floor(now / 60_000);
    if (m !== minute) [minute, used] = [m, 0];
  };
  return {
    charge(now, weight) {
      roll(now);
      if (now < banUntil) return { kind: "418", used, retryAfterS: _seconds(banUntil - now), newBan: false, until: banUntil };
      if (now < retryUntil) {
        [banUntil, retryUntil] = [now + BAN_MS, 0];
        return { kind: "418", used, retryAfterS: _seconds(BAN_MS), newBan: true, until: banUntil };
      }
      used += weight;
      peak = Math.max(peak, used);
      if (used <= limit) return { kind: "ok", used };
      retryUntil = (minute + 1) * 60_000;
      return { kind: "429", used, retryAfterS: _seconds(retryUntil - now) };
    },
    used(now) {
      roll(now);
      return used;
    },
    get peak() {
      return peak;
    },
  };
}

// --- internal ---

function _seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
