import type { DbClient } from "./db-client.ts";
import { quoteTable } from "./schema.ts";
import type { StreamKey } from "./candle-rows.ts";

/** Runs of consecutive candles the table holds, [first, last] open times (epoch ms), oldest first. */
export type Coverage = Array<[number, number]>;

/** PostgreSQL's interval for a Binance one (`1M` is a calendar month). */
export function sqlInterval(interval: string): string {
  const unit = interval.slice(-1);
  const n = Number(interval.slice(0, -1));
  const word = { s: "seconds", m: "minutes", h: "hours", d: "days", w: "weeks", M: "months" }[unit];
  if (!word || !Number.isInteger(n)) throw new Error(`not an interval: ${interval}`);
  return `${n} ${word}`;
}

/**
 * The stream's runs of consecutive candles in the table, from `from` (epoch ms) on,
 * computed in the database (window functions over the primary key, in UTC whatever the session's time zone): only each run's
 * ends come back, so a year of 1m candles without a hole is one row.
 */
export async function fetchCoverage(client: DbClient, table: string, key: StreamKey, from: number): Promise<Coverage> {
  const rows = await client.unsafe(
    `WITH s AS (
       SELECT open_time, ot, lag(ot) OVER w AS prev, lead(ot) OVER w AS next
       FROM (SELECT open_time, open_time AT TIME ZONE 'UTC' AS ot FROM ${quoteTable(table)} WHERE market = $1 AND symbol = $2 AND interval = $3 AND open_time >= $4) r
       WINDOW w AS (ORDER BY ot))
     SELECT (extract(epoch FROM open_time) * 1000)::bigint::text AS t,
            (prev IS NULL OR prev + $5::interval <> ot) AS starts,
            (next IS NULL OR ot + $5::interval <> next) AS ends
     FROM s WHERE prev IS NULL OR next IS NULL OR prev + $5::interval <> ot OR ot + $5::interval <> next
     ORDER BY open_time`,
    [key.market, key.symbol, key.interval, new Date(from).toISOString(), sqlInterval(key.interval)],
  );
  return coverageFromEdges(rows.map((r) => ({ t: Number(r.t), starts: r.starts === true, ends: r.ends === true })));
}

/** Pairs run starts with run ends (pure). */
export function coverageFromEdges(edges: ReadonlyArray<{ t: number; starts: boolean; ends: boolean }>): Coverage {
  const runs: Coverage = [];
  let start: number | undefined;
  for (const edge of edges) {
    if (edge.starts) start = edge.t;
    if (edge.ends && start !== undefined) {
      runs.push([start, edge.t]);
      start = undefined;
    }
  }
  return runs;
}

/** Walks a coverage in step with ascending open times: `covers(t)` is true when the table holds t. */
export function coverageCursor(coverage: Coverage): { covers(t: number): boolean } {
  let i = 0;
  return {
    covers(t) {
      while (i < coverage.length && coverage[i]![1] < t) i++;
      return i < coverage.length && coverage[i]![0] <= t;
    },
  };
}
