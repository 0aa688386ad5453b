import type { HistogramSample } from "./exposition.ts";

/**
 * Upper bounds (seconds) of `resilience_write_seconds`: an inline fdatasync takes well under
 * a millisecond here, a burst on the sync pool some milliseconds, and a row held behind a
 * hole waits for REST (up to HOLD_LIMIT_MS, 15 min).
 */
export const WRITE_SECONDS_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] as const;

/** Closing events waiting for their row's fdatasync, per stream; past this, new ones are not timed. */
export const PENDING_PER_STREAM = 64;

export interface WriteLatencyOptions {
  /** A monotonic clock in ms. @default performance.now */
  now?: () => number;
}

export interface WriteLatency {
  /** A closing (x:true) event arrived for a candle the CSV does not have yet. */
  received(stream: string, openTime: number): void;
  /** Rows up to `openTime` are on disk (the writer's onSynced): each one timed is observed. */
  durable(stream: string, openTime: number): void;
  histogram(): HistogramSample;
}

/**
 * The `resilience_write_seconds` histogram: closing event received → its row on disk
 * (fdatasync included). Per stream, a small map of open time → arrival; a sync covering
 * open time T observes and removes every entry up to T (rows are written in order, and a
 * candle held behind a hole counts its wait). Fixed buckets: nothing allocated per row but
 * the map entry.
 */
export function createWriteLatency(options: WriteLatencyOptions = {}): WriteLatency {
  const now = options.now ?? (() => performance.now());
  const bounds = WRITE_SECONDS_BOUNDS;
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  const pending = new Map<string, _Pending>();

  function observe(seconds: number): void {
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    counts[i]!++;
    sum += seconds;
  }

  return {
    received(stream, openTime) {
      let p = pending.get(stream);
      if (!p) pending.set(stream, (p = { synced: undefined, at: new Map() }));
      if ((p.synced !== undefined && openTime <= p.synced) || p.at.has(openTime) || p.at.size >= PENDING_PER_STREAM) return;
      p.at.set(openTime, now());
    },
    durable(stream, openTime) {
      const p = pending.get(stream);
      if (!p) return;
      if (p.synced === undefined || openTime > p.synced) p.synced = openTime;
      if (p.at.size === 0) return;
      const t = now();
      for (const [open, at] of p.at) {
        if (open > openTime) continue;
        observe(Math.max(0, t - at) / 1000);
        p.at.delete(open);
      }
    },
    histogram: () => ({ bounds, counts, sum }),
  };
}

// --- internal ---

interface _Pending {
  /** Newest open time known to be on disk. */
  synced: number | undefined;
  /** Open time → when its closing event arrived (ms, monotonic). */
  at: Map<number, number>;
}
