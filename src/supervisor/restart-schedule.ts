/**
 * The proactive restart boundary after `now`: multiples of `periodMs` since the epoch,
 * so a 4 h period restarts at 00:00, 04:00, 08:00 … UTC and never drifts.
 */
export function nextRestartBoundary(now: number, periodMs: number): number {
  return Math.floor(now / periodMs) * periodMs + periodMs;
}

/**
 * When to open the new connection for the boundary after `now`: `marginMs` before it.
 * If that moment has passed already, the boundary after is used.
 */
export function nextRestartPlan(now: number, periodMs: number, marginMs: number): { boundary: number; openAt: number } {
  let boundary = nextRestartBoundary(now, periodMs);
  if (boundary - marginMs <= now) boundary += periodMs;
  return { boundary, openAt: boundary - marginMs };
}
