import type { Clock } from "../clock.ts";

/** Binance's limits on stream connections (developers.binance.com, "WebSocket Limits"). */
export const MAX_URL_CHARS = 8000;
/** Streams one connection may listen to. */
export const MAX_STREAMS_PER_CONNECTION = 1024;
/** Connection attempts per IP in any sliding `ATTEMPT_WINDOW_MS`. */
export const MAX_ATTEMPTS_PER_WINDOW = 300;
export const ATTEMPT_WINDOW_MS = 5 * 60_000;
/** A limit line of the same kind within this long is folded into the next one. */
export const LIMIT_LOG_EVERY_MS = 1000;

/** Times each limit answered the client with Binance's refusal. */
export interface LimitCounts {
  /** Stream URLs over MAX_URL_CHARS: HTTP 414, no upgrade. */
  uri414: number;
  /** Over MAX_STREAMS_PER_CONNECTION: HTTP 400 in the URL, error + close 1008 by SUBSCRIBE. */
  tooManyStreams: number;
  /** Upgrade attempts over MAX_ATTEMPTS_PER_WINDOW: HTTP 429. */
  attempts429: number;
  /** Connections closed 1008 for more incoming messages a second than the market allows (5 spot, 10 futures). */
  messages1008: number;
  /** REST requests over the weight limit: 429 with Retry-After (injected rest429 faults not counted). */
  rest429: number;
  /** REST requests during a pending Retry-After or the ban that follows: 418. */
  rest418: number;
}

export type LimitKind = keyof LimitCounts;

export interface LimitReporter {
  /** Counts one refusal and reports it (`limit KIND: detail`), folding bursts. */
  hit(kind: LimitKind, detail: string): void;
  counts(): LimitCounts;
}

/**
 * Counts limit refusals and writes a one-line warning for each, except that lines of
 * one kind closer than LIMIT_LOG_EVERY_MS are folded into the next (`(+N more)`), so a
 * client hammering a ban cannot flood the log.
 */
export function createLimitReporter(clock: Clock, warn: (line: string) => void): LimitReporter {
  const counts: LimitCounts = { uri414: 0, tooManyStreams: 0, attempts429: 0, messages1008: 0, rest429: 0, rest418: 0 };
  const lastLogged = new Map<LimitKind, number>();
  const folded = new Map<LimitKind, number>();
  return {
    hit(kind, detail) {
      counts[kind]++;
      const now = clock.now();
      const last = lastLogged.get(kind);
      if (last !== undefined && now - last < LIMIT_LOG_EVERY_MS) return void folded.set(kind, (folded.get(kind) ?? 0) + 1);
      const more = folded.get(kind) ?? 0;
      folded.delete(kind);
      lastLogged.set(kind, now);
      warn(`limit ${kind}: ${detail}${more > 0 ? ` (+${more} more)` : ""}`);
    },
    counts: () => ({ ...counts }),
  };
}

/**
 * Connection attempts in a sliding window: `record(now)` counts one and says whether it
 * is over the limit. Refused attempts count too, as they do on Binance.
 */
export function createAttemptWindow(limit = MAX_ATTEMPTS_PER_WINDOW, windowMs = ATTEMPT_WINDOW_MS): { record(now: number): boolean } {
  const times: number[] = [];
  let head = 0;
  return {
    record(now) {
      while (head < times.length && times[head]! <= now - windowMs) head++;
      if (head > 1024 && head * 2 > times.length) {
        times.splice(0, head);
        head = 0;
      }
      times.push(now);
      return times.length - head > limit;
    },
  };
}
