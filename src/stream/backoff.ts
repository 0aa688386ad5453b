export interface BackoffOptions {
  /** Delay scale of the second attempt. @default 500 */
  baseMs: number;
  /** Cap (websocket.reconnect.max_delay). @default 30000 */
  maxMs: number;
  /** Uniform random in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: attempt 1 retries at once, attempt n waits a
 * random time in [0, min(max, base * 2^(n-2))]. Full jitter spreads many recorders
 * that lost the same server, and keeps us far below Binance's 300 connects / 5 min.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  if (attempt <= 1) return 0;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt - 2, 30));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}
