import { hostname } from "node:os";
import type { Clock } from "../clock.ts";
import type { DbConfig } from "../config/resolve.ts";
import type { RecorderEvent } from "../supervisor/events.ts";
import type { StreamStats } from "../supervisor/recorder-state.ts";
import { intervalMs, type Interval } from "../time/intervals.ts";
import { createDbClient } from "./db-client.ts";
import { createReplicator, type Replicator } from "./replicator.ts";
import type { Market } from "../exchange/market.ts";

/** A 1M candle is about this long, for the lag estimate. */
const MONTH_MS = 30 * 86_400_000;

export interface RunReplication {
  /** A row is durable in its CSV (the supervisor's onDurable). */
  durable(stream: string, openTime: number): void;
  /** Follows every stream recorded now (call after start, and when symbols are added). */
  followStreams(streams: readonly StreamStats[]): void;
  readonly replicator: Replicator;
}

/**
 * `run --db`: one replicator for the recorder's CSVs. Streams are followed as they
 * appear (a listing's CSV too); each durable row is handed on.
 */
export function startRunReplication(options: { db: DbConfig; market: Market; clock: Clock; emit(event: RecorderEvent): void; streams(): readonly StreamStats[] }): RunReplication {
  const replicator = createReplicator({ client: createDbClient({ target: options.db.target }), table: options.db.table, host: hostname(), clock: options.clock, emit: options.emit });
  const followed = new Set<string>();
  const followStreams = (streams: readonly StreamStats[]) => {
    for (const s of streams) {
      if (followed.has(s.key)) continue;
      followed.add(s.key);
      const ms = s.interval === "1M" ? MONTH_MS : intervalMs(s.interval as Interval);
      replicator.follow({ stream: s.key, market: options.market, symbol: s.symbol, interval: s.interval, csv: s.csv, intervalMs: ms, lastRow: s.lastCandle });
    }
  };
  return {
    replicator,
    followStreams,
    durable(stream, openTime) {
      if (!followed.has(stream)) followStreams(options.streams());
      replicator.durable(stream, openTime);
    },
  };
}
