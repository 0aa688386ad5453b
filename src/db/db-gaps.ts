import { parseList } from "../commands/_args.ts";
import { expectedCoverage } from "../candles/audit-coverage.ts";
import type { AuditReport, GapFinding } from "../candles/audit.ts";
import type { FileCheck } from "../candles/gaps-check.ts";
import { UserError } from "../errors.ts";
import { candlesBetween, INTERVALS, isInterval, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";
import { formatIsoSeconds, parseTime } from "../time/timestamp.ts";
import type { StreamKey } from "./candle-rows.ts";
import { createDbClient, DbError, type DbClient } from "./db-client.ts";
import { streamAuditParams, streamAuditSql, streamsSql, TABLE_EXISTS_SQL, toStreamAuditRow, type StreamAuditRow } from "./db-gaps-sql.ts";
import { DEFAULT_DB_TABLE, parseDbUrl, parseTableName, redactDbUrl, type DbTarget } from "./db-url.ts";
import { MARKETS } from "../exchange/market.ts";

/**
 * One stream's audit reads all its rows in the range: about 1 s per million on a small
 * VM, so a year of 1s candles takes a minute or more. The client's default deadline is
 * meant for replication's small statements.
 */
export const AUDIT_QUERY_TIMEOUT_MS = 15 * 60_000;

/** The markets the table's `market` column may hold. */
export const DB_MARKETS = MARKETS;

/** `resilience gaps --db`: the flags as citty hands them over. */
export interface DbGapsArgs {
  /** The URL from --db, else from RESILIENCE_DB (`dbFrom` says which, for messages). */
  db?: string;
  dbFrom: "--db" | "RESILIENCE_DB";
  /** Candle files also given: refused. */
  files: string[];
  fill?: boolean;
  verify?: boolean;
  dbTable?: string;
  symbol?: string;
  interval?: string;
  market?: string;
  since?: string;
  until?: string;
}

export interface DbGapsOptions {
  target: DbTarget;
  /** `name` or `schema.name`. @default DEFAULT_DB_TABLE */
  table: string;
  /** Upper case; empty = every symbol in the table. */
  symbols: string[];
  /** Empty = every interval in the table. */
  intervals: Interval[];
  /** Empty = every market in the table. */
  markets: string[];
  /** Expected coverage, inclusive, epoch ms; also bounds the rows read. */
  since?: number;
  until?: number;
  /** For `until`: only candles closed by now are due. */
  now: number;
}

/** What the audit yields: one stream's report, or a line about the table (nothing matched, an unknown interval). */
export type DbGapsItem = { kind: "stream"; check: FileCheck } | { kind: "note"; text: string; finding: boolean };

/** Validates the flags; every mistake is one UserError line that never shows the URL. */
export function resolveDbGapsOptions(args: DbGapsArgs, now: number): DbGapsOptions {
  if (args.db === undefined) throw new UserError("gaps: --db-table works with --db only; give --db postgres://user@host:port/dbname");
  if (args.files.length > 0) throw new UserError("gaps: give either candle files or --db, not both");
  if (args.fill || args.verify) throw new UserError(`gaps: --${args.fill ? "fill" : "verify"} works on files only, not with --db`);
  const target = parseDbUrl(args.db, args.dbFrom);
  const table = parseTableName(args.dbTable ?? DEFAULT_DB_TABLE, "--db-table");
  const symbols = args.symbol === undefined ? [] : parseList(args.symbol, "--symbol").map((s) => s.toUpperCase());
  for (const s of symbols) if (!/^[A-Z0-9_]{2,40}$/.test(s)) throw new UserError(`--symbol: "${s}" is not a symbol; write it like BTCUSDT`);
  const intervals = args.interval === undefined ? [] : parseList(args.interval, "--interval");
  for (const i of intervals) if (!isInterval(i)) throw new UserError(`--interval: "${i}" is not a Binance interval; use one of ${INTERVALS.join(", ")}`);
  const markets = args.market === undefined ? [] : parseList(args.market, "--market").map((m) => m.toLowerCase());
  for (const m of markets) if (!(DB_MARKETS as readonly string[]).includes(m)) throw new UserError(`--market: "${m}" is not a market; use ${DB_MARKETS.join(", ")}`);
  const since = args.since === undefined ? undefined : parseTime(args.since, "--since", now);
  const until = args.until === undefined ? undefined : parseTime(args.until, "--until", now);
  if (since !== undefined && until !== undefined && since > until) throw new UserError("--since is after --until; swap them");
  return { target, table, symbols: [...new Set(symbols)], intervals: [...new Set(intervals)] as Interval[], markets: [...new Set(markets)], since, until, now };
}

/**
 * Audits every stream of the table that matches the filters, one query per stream, and
 * yields each report as it is ready. A database that cannot be reached, a missing table
 * or a refused query end it with a UserError naming the database by its label only.
 */
export async function* auditDbTable(options: DbGapsOptions): AsyncGenerator<DbGapsItem> {
  // The first statements keep the client's short deadline (it is also the connect
  // timeout: an unreachable host fails in seconds); only the scans get the long one.
  const quick = createDbClient({ target: options.target });
  const scans = createDbClient({ target: options.target, queryTimeoutMs: AUDIT_QUERY_TIMEOUT_MS });
  try {
    const found = await _query(quick, TABLE_EXISTS_SQL, [options.table]);
    if (found[0]?.found !== true) throw new UserError(`database ${options.target.label} has no table ${options.table}; give the candle table with --db-table`);
    const present = (await _query(quick, streamsSql(options.table))).map((r) => ({ market: String(r.market), symbol: String(r.symbol), interval: String(r.interval) }));
    const { streams, unknown } = selectStreams(present, options);
    for (const key of unknown) yield { kind: "note", text: `${dbStreamLabel(options, key)}: "${key.interval}" is not a Binance interval; not audited`, finding: true };
    if (streams.length === 0 && unknown.length === 0) yield noStreamsNote(options, present.length === 0);
    const bounds = { since: options.since !== undefined, until: options.until !== undefined };
    for (const key of streams) {
      const interval = key.interval as Interval;
      const rows = await _query(scans, streamAuditSql(options.table, interval, bounds), streamAuditParams(key, options.since, options.until));
      yield { kind: "stream", check: { file: dbStreamLabel(options, key), position: "row", report: reportFromRows(interval, rows.map(toStreamAuditRow), options) } };
    }
  } finally {
    await Promise.all([quick.close(), scans.close()]);
  }
}

/**
 * The streams to audit (pure): those in the table matching the filters (symbols
 * case-insensitive), plus, when both symbols and intervals are named, each named one the
 * table lacks (it is reported with no candles). Sorted by market, symbol, interval.
 * Streams whose interval is not a Binance one come back apart.
 */
export function selectStreams(present: readonly StreamKey[], filters: Pick<DbGapsOptions, "symbols" | "intervals" | "markets">): { streams: StreamKey[]; unknown: StreamKey[] } {
  const matches = present.filter(
    (k) => (filters.markets.length === 0 || filters.markets.includes(k.market)) && (filters.symbols.length === 0 || filters.symbols.includes(k.symbol.toUpperCase())) && (filters.intervals.length === 0 || (filters.intervals as string[]).includes(k.interval)),
  );
  const streams = matches.filter((k) => isInterval(k.interval));
  if (filters.symbols.length > 0 && filters.intervals.length > 0) {
    const markets = filters.markets.length > 0 ? filters.markets : [...new Set(present.map((k) => k.market))];
    const has = new Set(streams.map((k) => `${k.market} ${k.symbol.toUpperCase()} ${k.interval}`));
    for (const market of markets.length > 0 ? markets : ["spot"]) {
      for (const symbol of filters.symbols) for (const interval of filters.intervals) if (!has.has(`${market} ${symbol} ${interval}`)) streams.push({ market, symbol, interval });
    }
  }
  const order = (k: StreamKey) => INTERVALS.indexOf(k.interval as Interval);
  streams.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : order(a) - order(b)));
  return { streams, unknown: matches.filter((k) => !isInterval(k.interval)) };
}

/**
 * One stream's audit report from the rows the database returned (pure): the holes between
 * aligned candles, the misaligned rows and the coverage, exactly as the file audit would
 * report the same candles (duplicates and late rows cannot exist under the primary key).
 */
export function reportFromRows(interval: Interval, rows: readonly StreamAuditRow[], coverage: { since?: number; until?: number; now: number }): AuditReport {
  const misaligned = rows.filter((r) => !r.aligned);
  // Every misaligned row comes back, so the aligned candle before any row is found by
  // stepping back over them.
  const prevOf = new Map(misaligned.map((r) => [r.time, r.prev]));
  const alignedBefore = (time: number | null) => {
    while (time !== null && prevOf.has(time)) time = prevOf.get(time)!;
    return time;
  };
  const gaps: GapFinding[] = [];
  for (const r of rows) {
    const prev = r.aligned ? alignedBefore(r.prev) : null;
    if (prev === null || r.time === nextOpenTime(interval, prev)) continue;
    gaps.push({ prev, next: r.time, firstMissing: nextOpenTime(interval, prev), lastMissing: previousOpenTime(interval, r.time), missing: candlesBetween(interval, prev, r.time) - 1, line: r.line, kind: "unknown" });
  }
  const end = rows.find((r) => r.last);
  const first = rows.find((r) => r.aligned)?.time ?? null;
  const last = end === undefined ? null : end.aligned ? end.time : alignedBefore(end.prev);
  return {
    format: null,
    headerLine: null,
    crlf: false,
    micros: false,
    interval,
    intervalInferred: false,
    rows: end === undefined ? 0 : end.line - misaligned.length,
    first,
    last,
    gaps,
    duplicates: [],
    outOfOrder: [],
    misaligned: misaligned.map((r) => ({ time: r.time, line: r.line })),
    corrupt: [],
    ...expectedCoverage(interval, first, last, coverage),
  };
}

/** `postgres 127.0.0.1:5432/test candles spot BTCUSDT 1h`: no user, no password. */
export function dbStreamLabel(options: Pick<DbGapsOptions, "target" | "table">, key: StreamKey): string {
  return `postgres ${options.target.label} ${options.table} ${key.market} ${key.symbol} ${key.interval}`;
}

/** Nothing to audit: say what was looked for; a finding when --since/--until expected candles. */
export function noStreamsNote(options: DbGapsOptions, emptyTable: boolean): DbGapsItem {
  const filters = [["--market", options.markets], ["--symbol", options.symbols], ["--interval", options.intervals]] as const;
  const asked = filters.filter(([, list]) => list.length > 0).map(([flag, list]) => `${flag} ${list.join(",")}`);
  const why = emptyTable ? "the table is empty" : `no stream matches ${asked.join(" ")}`;
  const bounded = options.since !== undefined && options.until !== undefined;
  const expected = bounded ? `; --since/--until expect candles from ${formatIsoSeconds(options.since!)} to ${formatIsoSeconds(options.until!)}: all missing` : "";
  return { kind: "note", text: `postgres ${options.target.label} ${options.table}: no candles (${why})${expected}`, finding: bounded };
}

// --- internal ---

/** A query whose failure becomes one line naming the database by its label. */
async function _query(client: DbClient, text: string, params?: unknown[]) {
  try {
    return await client.unsafe(text, params);
  } catch (err) {
    if (!(err instanceof DbError)) throw err;
    const message = redactDbUrl(err.message, client.target);
    if (err.server) throw new UserError(`database ${client.target.label}: ${message}`);
    throw new UserError(err.code?.startsWith("ERR_POSTGRES_") ? `${message} (${err.code})` : message);
  }
}
