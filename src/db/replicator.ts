import type { Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import type { RecorderEvent } from "../supervisor/events.ts";
import { backoffDelayMs } from "../stream/backoff.ts";
import type { DbCandle, StreamKey } from "./candle-rows.ts";
import { DbError, type DbClient } from "./db-client.ts";
import { coverageCursor, fetchCoverage } from "./db-coverage.ts";
import { readCsvBatch, START_OF_FILE, type CsvPosition } from "./csv-batch.ts";
import { insertCandles } from "./insert-candles.ts";
import { ensureSchema } from "./schema.ts";
import { replicationSnapshot, type FollowedStream, type ReplicationSnapshot } from "./replication-lag.ts";

/** Rows per INSERT: a whole-market minute (1,500 streams) is one statement; 5,000 imported fastest (BENCHMARKS.md §8). */
export const BATCH_ROWS = 5000;
/** A replication lag over this is alerted. */
export const LAG_ALERT_MS = 5 * 60_000;
/** With nothing to send, look again this often (a durable row wakes it sooner), for the lag alert. */
const IDLE_CHECK_MS = 5000;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;

export interface ReplicatorOptions {
  client: DbClient;
  table: string;
  host: string;
  clock: Clock;
  emit(event: RecorderEvent): void;
  /** @default BATCH_ROWS */
  batchRows?: number;
  /** @default LAG_ALERT_MS */
  lagAlertMs?: number;
}

export interface FollowOptions extends StreamKey {
  /** `SYMBOL@interval` */
  stream: string;
  csv: string;
  intervalMs: number;
  /** Open time of the CSV's last row now (already on disk); undefined for an empty file. */
  lastRow: number | undefined;
}

export interface Replicator {
  /** Replicates a stream's CSV: first what the table lacks, then each row once durable. Idempotent. */
  follow(stream: FollowOptions): void;
  /** The stream's rows through `openTime` are on disk. */
  durable(stream: string, openTime: number): void;
  /** The CSVs are closed: sends every complete row in them, until done or `deadline` (epoch ms). Resolves with the rows left. */
  drain(deadline: number): Promise<number>;
  snapshot(): ReplicationSnapshot;
  /** Stops and closes the database connections. */
  close(): Promise<void>;
}

/**
 * Copies the CSVs into PostgreSQL. The CSV stays the durable log: rows are read back
 * from it (bounded memory, whatever the backlog), sent in multi-stream batches, and a
 * stream's position moves only once the database has them. Down, the database is retried
 * with backoff forever; recording never waits for it.
 */
export function createReplicator(options: ReplicatorOptions): Replicator {
  const { client, table, clock, emit } = options;
  const batchRows = options.batchRows ?? BATCH_ROWS;
  const lagAlertMs = options.lagAlertMs ?? LAG_ALERT_MS;
  const streams = new Map<string, FollowedStream>();
  const totals = { replicated: 0, inserted: 0, conflicts: 0, rejected: 0 };
  let schemaReady = false;
  let down: { since: number; attempts: number; error: string } | undefined;
  let lastSuccessAt: number | undefined;
  let lagAlerted = false;
  let closed = false;
  let wake: (() => void) | undefined;
  let cancelWait: (() => void) | undefined;
  let rr = 0;

  const poke = () => {
    const w = wake;
    wake = undefined;
    cancelWait?.();
    cancelWait = undefined;
    w?.();
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (Number.isFinite(ms)) cancelWait = clock.setTimeout(() => poke(), ms);
    });

  const loop = (async () => {
    while (!closed) {
      try {
        if (!schemaReady) {
          await ensureSchema(client, table);
          schemaReady = true;
        }
        const moved = await sendOneBatch();
        recovered();
        checkLag();
        // Straight on while there is work (a restart's first pass, a burst); else wait for a durable row.
        if (!moved) await pause(IDLE_CHECK_MS);
      } catch (err) {
        if (closed) break;
        // The table was dropped under us (42P01): create it again before the next batch.
        if (err instanceof DbError && err.code === "42P01") schemaReady = false;
        failed(err);
        checkLag();
        await pause(down ? retryDelayMs(down.attempts) : RETRY_BASE_MS);
      }
    }
  })();

  /** One statement's worth of rows from the streams with work, round-robin. False when no stream had work. */
  async function sendOneBatch(): Promise<boolean> {
    const order = [...streams.values()];
    const candles: DbCandle[] = [];
    const moves: Array<{ s: FollowedStream; next: CsvPosition; caughtUp: boolean; through: number }> = [];
    for (let k = 0; k < order.length && candles.length < batchRows; k++) {
      const s = order[(rr + k) % order.length]!;
      if (!hasWork(s)) continue;
      if (s.coverage === undefined && s.scanning) s.coverage = coverageCursor(await fetchCoverage(client, table, s.key, 0));
      const through = s.through!;
      const batch = readCsvBatch(s.csv, s.position, { key: s.key, through: Number.isFinite(through) ? through : undefined, maxRows: batchRows - candles.length });
      for (const line of batch.rejected) warnRejected(s, line);
      const fresh = s.coverage ? batch.candles.filter((c) => !s.coverage!.covers(c.openTime)) : batch.candles;
      candles.push(...fresh);
      moves.push({ s, next: batch.next, caughtUp: batch.done, through });
    }
    rr = order.length ? (rr + 1) % order.length : 0;
    if (moves.length === 0) return false;
    await sendIsolating(candles);
    for (const { s, next, caughtUp, through } of moves) {
      s.position = next;
      if (caughtUp) {
        s.readTo = through;
        if (s.scanning) {
          s.scanning = false;
          s.coverage = undefined;
        }
      }
      if (!hasWork(s)) s.pendingSince = undefined;
    }
    lastSuccessAt = clock.now();
    return true;
  }

  /**
   * Inserts. A batch refused for its data (SQLSTATE class 22 or 23: a value the column
   * cannot hold) is halved until the refused row is found, logged and skipped; it stays in
   * the CSV. Any other refusal (permissions, a read-only standby, a dropped table) is the
   * database's state, not the rows': the batch is retried with backoff, never skipped.
   */
  async function sendIsolating(candles: DbCandle[]): Promise<void> {
    try {
      const result = await insertCandles(client, table, candles, options.host);
      totals.inserted += result.inserted;
      totals.replicated += candles.length;
      for (const c of result.conflicts) {
        totals.conflicts++;
        emit({ type: "db_conflict", symbol: c.symbol, interval: c.interval, openTime: c.openTime, stored: c.stored, offered: c.offered, table });
      }
    } catch (err) {
      if (!(err instanceof DbError) || !err.server || !/^2[23]/.test(err.code ?? "")) throw err;
      if (candles.length === 1) {
        totals.rejected++;
        emit({ type: "db_row_rejected", symbol: candles[0]!.symbol, interval: candles[0]!.interval, openTime: candles[0]!.openTime, error: err.message });
        return;
      }
      const half = Math.ceil(candles.length / 2);
      await sendIsolating(candles.slice(0, half));
      await sendIsolating(candles.slice(half));
    }
  }

  function hasWork(s: FollowedStream): boolean {
    return s.through !== undefined && (s.readTo === undefined || s.through > s.readTo);
  }

  function failed(err: unknown): void {
    const error = errorMessage(err);
    if (!down) {
      down = { since: clock.now(), attempts: 1, error };
      emit({ type: "db_unreachable", target: client.target.label, error, retryInMs: retryDelayMs(1), refused: err instanceof DbError && err.server });
    } else {
      down.attempts++;
      down.error = error;
    }
  }

  function recovered(): void {
    if (!down) return;
    emit({ type: "db_recovered", target: client.target.label, downMs: clock.now() - down.since });
    down = undefined;
  }

  function checkLag(): void {
    const { lagMs, pendingRows } = snapshot();
    if (!lagAlerted && lagMs > lagAlertMs) {
      lagAlerted = true;
      emit({ type: "replication_lagging", lagMs, pendingRows });
    } else if (lagAlerted && lagMs === 0) {
      lagAlerted = false;
      emit({ type: "replication_caught_up" });
    }
  }

  function warnRejected(s: FollowedStream, line: string): void {
    s.rejected++;
    if (s.rejected === 1) emit({ type: "warning", message: `${s.stream}: a line of ${s.csv} is not a candle and is not replicated (${line}); 'resilience gaps' shows it` });
  }

  function snapshot(): ReplicationSnapshot {
    return replicationSnapshot({ target: client.target.label, table, streams: streams.values(), now: clock.now(), down, lastSuccessAt, totals, schemaReady });
  }

  return {
    follow(f) {
      if (streams.has(f.stream)) return;
      const now = clock.now();
      streams.set(f.stream, {
        stream: f.stream,
        key: { market: f.market, symbol: f.symbol, interval: f.interval },
        csv: f.csv,
        intervalMs: f.intervalMs,
        position: START_OF_FILE,
        through: f.lastRow,
        readTo: undefined,
        scanning: true,
        coverage: undefined,
        pendingSince: f.lastRow === undefined ? undefined : now,
        rejected: 0,
      });
      poke();
    },
    durable(stream, openTime) {
      const s = streams.get(stream);
      if (!s || (s.through !== undefined && openTime <= s.through)) return;
      s.through = openTime;
      s.pendingSince ??= clock.now();
      poke();
    },
    async drain(deadline) {
      const now = clock.now();
      for (const s of streams.values()) {
        s.through = Number.POSITIVE_INFINITY;
        s.pendingSince ??= now;
      }
      poke();
      while (clock.now() < deadline && [...streams.values()].some(hasWork)) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 50));
      }
      return snapshot().pendingRows;
    },
    snapshot,
    async close() {
      if (closed) return;
      closed = true;
      poke();
      await Promise.race([loop, new Promise((r) => setTimeout(r, 1000))]);
      await client.close();
    },
  };
}

// --- internal ---

/** 1 s, then exponential with full jitter up to 30 s. */
function retryDelayMs(attempts: number): number {
  return Math.max(RETRY_BASE_MS, backoffDelayMs(attempts + 1, { baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS }));
}
