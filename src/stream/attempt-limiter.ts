import type { Clock } from "../clock.ts";

/** Binance: at most 300 connection attempts per 5 minutes per IP. */
export const BINANCE_ATTEMPTS_PER_WINDOW = 300;
export const BINANCE_ATTEMPT_WINDOW_MS = 5 * 60_000;

export interface AttemptLimiterOptions {
  clock: Clock;
  /** Attempts allowed in any window (a margin under Binance's 300). @default 240 */
  max?: number;
  /** @default BINANCE_ATTEMPT_WINDOW_MS */
  windowMs?: number;
  /** Two attempts are at least this far apart, so a storm is spread out. @default 100 */
  minSpacingMs?: number;
}

export interface AttemptLimiter {
  /** Runs `attempt` as soon as the limits allow (at once when they do); returns a cancel function. */
  schedule(attempt: () => void): () => void;
  /** Attempts made in the current window. */
  readonly recent: number;
  /** Attempts waiting for their turn. */
  readonly waiting: number;
}

/**
 * The one door for WebSocket connection attempts of the whole process: a sliding window
 * (at most `max` per `windowMs`) and a minimum spacing, so a reconnect storm over many
 * connections never reaches Binance's 300 attempts per 5 minutes. First come, first served.
 */
export function createAttemptLimiter(options: AttemptLimiterOptions): AttemptLimiter {
  const { clock } = options;
  const max = options.max ?? 240;
  const windowMs = options.windowMs ?? BINANCE_ATTEMPT_WINDOW_MS;
  const spacing = options.minSpacingMs ?? 100;
  const made: number[] = [];
  const queue: { run: () => void }[] = [];
  let cancelTimer: (() => void) | undefined;

  function prune(now: number): void {
    while (made.length > 0 && made[0]! <= now - windowMs) made.shift();
  }

  function pump(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    while (queue.length > 0) {
      const now = clock.now();
      const at = nextAttemptAt(made, now, { max, windowMs, spacingMs: spacing });
      if (at > now) {
        cancelTimer = clock.setTimeout(pump, at - now);
        return;
      }
      made.push(now);
      queue.shift()!.run();
    }
  }

  return {
    schedule(attempt) {
      const entry = { run: attempt };
      queue.push(entry);
      pump();
      return () => {
        const index = queue.indexOf(entry);
        if (index >= 0) queue.splice(index, 1);
      };
    },
    get recent() {
      prune(clock.now());
      return made.length;
    },
    get waiting() {
      return queue.length;
    },
  };
}

/**
 * When the next attempt may be made, given the times of earlier ones (oldest first; those
 * older than the window are dropped from `made`). Pure apart from that pruning.
 */
export function nextAttemptAt(made: number[], now: number, limits: { max: number; windowMs: number; spacingMs: number }): number {
  while (made.length > 0 && made[0]! <= now - limits.windowMs) made.shift();
  let at = now;
  const last = made[made.length - 1];
  if (last !== undefined) at = Math.max(at, last + limits.spacingMs);
  if (made.length >= limits.max) at = Math.max(at, made[made.length - limits.max]! + limits.windowMs + 1);
  return at;
}
