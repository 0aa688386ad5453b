import type { DbClient } from "./db-client.ts";

/** The candle table's columns in order (the key first). All but the key are nullable. */
export const CANDLE_COLUMNS = [
  ["market", "text"],
  ["symbol", "text"],
  ["interval", "text"],
  ["open_time", "timestamptz"],
  ["open", "numeric"],
  ["high", "numeric"],
  ["low", "numeric"],
  ["close", "numeric"],
  ["volume", "numeric"],
  ["close_time", "timestamptz"],
  ["quote_volume", "numeric"],
  ["trades", "bigint"],
  ["taker_buy_base", "numeric"],
  ["taker_buy_quote", "numeric"],
] as const;

export type CandleColumn = (typeof CANDLE_COLUMNS)[number][0];

/** `"schema"."name"` from a checked table name (parseTableName). */
export function quoteTable(table: string): string {
  return table.split(".").map((part) => `"${part}"`).join(".");
}

/** Where rows whose key exists with other values are kept. */
export function conflictsTable(table: string): string {
  return `${table}_conflicts`;
}

/** `col type, ...` for a record definition (jsonb_to_recordset) or a table. */
export function columnDefinitions(): string {
  return CANDLE_COLUMNS.map(([name, type]) => `${name} ${type}`).join(", ");
}

/** DDL of the candle table and its conflicts table (idempotent). */
export function schemaStatements(table: string): string[] {
  const conflicts = conflictsTable(table);
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (${CANDLE_COLUMNS.map(([name, type], i) => `${name} ${type}${i < 4 ? " NOT NULL" : ""}`).join(", ")}, PRIMARY KEY (market, symbol, interval, open_time))`,
    `CREATE TABLE IF NOT EXISTS ${quoteTable(conflicts)} (market text NOT NULL, symbol text NOT NULL, interval text NOT NULL, open_time timestamptz NOT NULL, stored jsonb NOT NULL, offered jsonb NOT NULL, host text NOT NULL, detected_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (market, symbol, interval, open_time, host))`,
  ];
}

/**
 * Creates the tables if missing. With the TimescaleDB extension installed in the
 * database, the candle table becomes a hypertable on open_time (its primary key already
 * holds the time column, as TimescaleDB requires).
 */
export async function ensureSchema(client: DbClient, table: string): Promise<{ hypertable: boolean }> {
  const schema = table.includes(".") ? table.split(".")[0]! : undefined;
  // Two recorders starting together would race: CREATE ... IF NOT EXISTS run by two sessions
  // at once can fail one of them (23505 on pg_type). One transaction under an advisory lock
  // per table makes the second wait, then find the tables there.
  const statements = [...(schema ? [`CREATE SCHEMA IF NOT EXISTS "${schema}"`] : []), ...schemaStatements(table)];
  await client.unsafe(`DO $ddl$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('resilience ${table}')); ${statements.map((s) => `${s};`).join(" ")} END $ddl$`);
  const timescale = await client.unsafe(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
  if (timescale.length === 0) return { hypertable: false };
  await client.unsafe(`SELECT create_hypertable('${quoteTable(table)}', 'open_time', if_not_exists => TRUE, migrate_data => TRUE)`);
  return { hypertable: true };
}
