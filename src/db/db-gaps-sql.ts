import { intervalMs, type Interval } from "../time/intervals.ts";
import { quoteTable } from "./schema.ts";

/**
 * The statements behind `resilience gaps --db`. All the work happens in PostgreSQL over
 * the primary key (market, symbol, interval, open_time): one stream at a time is an index
 * range scan already in open-time order, so the window functions need no sort and only
 * the rows worth a look come back, however many the table holds.
 */

/** 1970-01-05, the first Monday: `1w` candles open on Mondays, as on Binance. */
const FIRST_MONDAY_MS = 4 * 86_400_000;

/**
 * Every (market, symbol, interval) in the table, in key order: a loose index scan (one
 * index probe per stream, a recursive CTE) instead of `SELECT DISTINCT`, which would read
 * every row.
 */
export function streamsSql(table: string): string {
  const t = quoteTable(table);
  return `WITH RECURSIVE s AS (
    (SELECT market, symbol, interval FROM ${t} ORDER BY market, symbol, interval LIMIT 1)
    UNION ALL
    SELECT n.market, n.symbol, n.interval FROM s CROSS JOIN LATERAL (
      SELECT market, symbol, interval FROM ${t}
      WHERE (market, symbol, interval) > (s.market, s.symbol, s.interval)
      ORDER BY market, symbol, interval LIMIT 1) n)
  SELECT market, symbol, interval FROM s`;
}

/** `$1` the table name as written (`schema.name`): null when it does not exist. */
export const TABLE_EXISTS_SQL = "SELECT to_regclass($1::text) IS NOT NULL AS found";

/** One row of `streamAuditSql`: epoch ms as numbers. */
export interface StreamAuditRow {
  time: number;
  /** The previous row's open time (aligned or not), null on the first. */
  prev: number | null;
  /** Position in open-time order among the rows read (aligned or not), from 1. */
  line: number;
  aligned: boolean;
  /** The stream's last row in the range read. */
  last: boolean;
}

/**
 * One stream's audit: `$1` market, `$2` symbol, `$3` interval, then `$4`/`$5` the
 * inclusive bounds given (since, until). A single pass of `lag`/`lead`/`row_number` over
 * the index returns, in open-time order, only the first row, each row that does not
 * follow its predecessor by one interval (after a hole, or next to a misaligned row),
 * every misaligned row and the last row. Times are compared in UTC whatever the session's
 * TimeZone, so `+ interval '1 month'` is a calendar month.
 */
export function streamAuditSql(table: string, interval: Interval, bounds: { since: boolean; until: boolean }): string {
  const where = ["market = $1", "symbol = $2", "interval = $3"];
  if (bounds.since) where.push("open_time >= $4::timestamptz");
  if (bounds.until) where.push(`open_time <= $${bounds.since ? 5 : 4}::timestamptz`);
  const epochMs = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
  return `SELECT ${epochMs("open_time")} AS time, ${epochMs("prev")} AS prev, line::float8 AS line, aligned, last
  FROM (
    SELECT open_time, aligned, row_number() OVER w AS line, lag(open_time) OVER w AS prev, lead(open_time) OVER w IS NULL AS last
    FROM (SELECT open_time, ${_alignedSql(interval)} AS aligned FROM ${quoteTable(table)} WHERE ${where.join(" AND ")}) r
    WINDOW w AS (ORDER BY open_time)
  ) s
  WHERE last OR NOT aligned OR prev IS NULL OR ${_nextSql(interval, "prev")} <> open_time
  ORDER BY open_time`;
}

/** The bound parameters of `streamAuditSql`, in order. */
export function streamAuditParams(key: { market: string; symbol: string; interval: string }, since?: number, until?: number): unknown[] {
  const params: unknown[] = [key.market, key.symbol, key.interval];
  if (since !== undefined) params.push(new Date(since).toISOString());
  if (until !== undefined) params.push(new Date(until).toISOString());
  return params;
}

/** Maps a result row of `streamAuditSql` (pure). */
export function toStreamAuditRow(row: Record<string, unknown>): StreamAuditRow {
  return {
    time: Number(row.time),
    prev: row.prev === null || row.prev === undefined ? null : Number(row.prev),
    line: Number(row.line),
    aligned: row.aligned === true,
    last: row.last === true,
  };
}

// --- internal ---

/** The open time after `column`'s: a calendar month for 1M, else a fixed step. */
function _nextSql(interval: Interval, column: string): string {
  if (interval === "1M") return `((${column} AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'`;
  return `${column} + interval '${intervalMs(interval)} milliseconds'`;
}

/**
 * Whether `open_time` is a candle boundary: the month's first instant in UTC, or a whole
 * number of steps from the epoch (from a Monday for 1w). date_bin is integer arithmetic:
 * twice as fast as a numeric modulo on millions of rows.
 */
function _alignedSql(interval: Interval): string {
  if (interval === "1M") return "open_time = date_trunc('month', open_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
  const origin = new Date(interval === "1w" ? FIRST_MONDAY_MS : 0).toISOString();
  return `date_bin(interval '${intervalMs(interval)} milliseconds', open_time, timestamptz '${origin}') = open_time`;
}
