import type { DbClient } from "./db-client.ts";
import { candlesToJson, type DbCandle } from "./candle-rows.ts";
import { CANDLE_COLUMNS, columnDefinitions, conflictsTable, quoteTable } from "./schema.ts";

/** A row whose key was in the table with other values: kept there, ours goes to `<table>_conflicts`. */
export interface DbConflict {
  market: string;
  symbol: string;
  interval: string;
  openTime: number;
  /** The table's row, as JSON text. */
  stored: string;
  /** Ours, as JSON text. */
  offered: string;
}

export interface InsertResult {
  /** New rows. */
  inserted: number;
  /** Already there with the same values (another recorder, or an earlier run). */
  duplicates: number;
  conflicts: DbConflict[];
}

/**
 * Inserts a batch (any mix of streams) in one statement, `ON CONFLICT DO NOTHING`. The
 * rows it did not insert are then compared, in a second statement, with the table's:
 * a value that differs numerically (`1.50` = `1.5`; a NULL on either side is not compared)
 * is a conflict, recorded with both versions in `<table>_conflicts`, never overwritten.
 * The rows go as one JSON parameter, so a batch is never near the 65,535 bind limit
 * (`json`, not `jsonb`: jsonb's parse and plan took three times as long, BENCHMARKS.md §8).
 */
export async function insertCandles(client: DbClient, table: string, candles: readonly DbCandle[], host: string): Promise<InsertResult> {
  if (candles.length === 0) return { inserted: 0, duplicates: 0, conflicts: [] };
  const target = quoteTable(table);
  const inserted = await client.unsafe(
    `INSERT INTO ${target} SELECT * FROM json_to_recordset($1::text::json) AS x(${columnDefinitions()}) ON CONFLICT (market, symbol, interval, open_time) DO NOTHING RETURNING market, symbol, interval, open_time`,
    [candlesToJson(candles)],
  );
  if (inserted.length === candles.length) return { inserted: inserted.length, duplicates: 0, conflicts: [] };
  const taken = new Set(inserted.map((r) => keyOf(r.market as string, r.symbol as string, r.interval as string, (r.open_time as Date).getTime())));
  const rest = candles.filter((c) => !taken.has(keyOf(c.market, c.symbol, c.interval, c.openTime)));
  const differs = CANDLE_COLUMNS.slice(4).map(([name]) => `(t.${name} IS DISTINCT FROM x.${name} AND t.${name} IS NOT NULL AND x.${name} IS NOT NULL)`).join(" OR ");
  const conflicts = await client.unsafe(
    `WITH x AS (SELECT * FROM json_to_recordset($1::text::json) AS x(${columnDefinitions()})),
     c AS (SELECT x.market, x.symbol, x.interval, x.open_time, to_jsonb(t) AS stored, to_jsonb(x) AS offered
           FROM x JOIN ${target} t USING (market, symbol, interval, open_time) WHERE ${differs}),
     kept AS (INSERT INTO ${quoteTable(conflictsTable(table))} (market, symbol, interval, open_time, stored, offered, host)
              SELECT market, symbol, interval, open_time, stored, offered, $2 FROM c ON CONFLICT DO NOTHING)
     SELECT market, symbol, interval, open_time, stored::text AS stored, offered::text AS offered FROM c`,
    [candlesToJson(rest), host],
  );
  return {
    inserted: inserted.length,
    duplicates: rest.length - conflicts.length,
    conflicts: conflicts.map((r) => ({
      market: r.market as string,
      symbol: r.symbol as string,
      interval: r.interval as string,
      openTime: (r.open_time as Date).getTime(),
      stored: r.stored as string,
      offered: r.offered as string,
    })),
  };
}

// --- internal ---

function keyOf(market: string, symbol: string, interval: string, openTime: number): string {
  return `${market}\u0000${symbol}\u0000${interval}\u0000${openTime}`;
}
