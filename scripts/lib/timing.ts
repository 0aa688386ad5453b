/** Epoch ms with sub-millisecond precision, comparable across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A recorder starts at the current 1m candle; benchmarks that send closes from the
 * current candle on start far enough from the minute's end that both agree on it.
 */
export async function awayFromMinuteEnd(marginMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await Bun.sleep(left + 200);
}
