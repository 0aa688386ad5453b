#!/usr/bin/env bun
/**
 * Benchmark of `run --db` (src/db/replicator.ts) against a real PostgreSQL, in a database
 * of its own (`resilience_bench_<pid>`, dropped at the end):
 *
 * 1. Import: the replicator copies a 1,000,000-row 1m CSV into an empty table, at a few
 *    batch sizes; the floor is `psql \copy` of the same file into the same table (its
 *    key columns given by column defaults), and `\copy` into a staging table followed by
 *    one `INSERT ... SELECT ... ON CONFLICT DO NOTHING` (the replicator's semantics).
 * 2. Restart: a new replicator over the same CSV and the full table (sends nothing).
 * 3. Minute burst: N streams (1m) with history already replicated; one row appended to
 *    every CSV, then durable() for all of them in a tight loop, as the recorder's minute
 *    does; the time until nothing is pending, and the largest lagMs seen. Then the same
 *    with the durables spread over --spread-ms, as the sync pool hands them over.
 *
 *   npm run bench:db
 *   npm run bench:db -- --rows 100000 --streams 300 --bursts 5 --batch-sizes 2000
 *
 * Flags: --rows 1000000, --streams 1500, --history 60 (rows per stream before the bursts),
 * --bursts 20, --spread-ms 150 (0 = skip), --batch-sizes 500,2000,5000, --floor-runs 3 (psql
 * runs, median), --basic (also the 6-column format; about 45 s more),
 * --pg postgres://root@127.0.0.1:5432/test (or RESILIENCE_TEST_PG), --dir (keep the CSVs there).
 * About 4 minutes by default; PostgreSQL restarted by someone else mid-measurement is waited
 * for and that measurement taken again.
 */
import { SQL } from "bun";
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Candle } from "../src/candles/candle.ts";
import { csvHeader, formatCandleRow, type CsvColumns } from "../src/candles/csv.ts";
import { systemClock } from "../src/clock.ts";
import { createDbClient, type DbClient } from "../src/db/db-client.ts";
import { parseDbUrl } from "../src/db/db-url.ts";
import { BATCH_ROWS, createReplicator, type Replicator } from "../src/db/replicator.ts";
import { CANDLE_COLUMNS } from "../src/db/schema.ts";
import type { RecorderEvent } from "../src/supervisor/events.ts";
import { describeMachine } from "./lib/machine.ts";
import { formatCount, formatMs, formatRatio, markdownTable, percentile } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    streams: { type: "string", default: "1500" },
    history: { type: "string", default: "60" },
    bursts: { type: "string", default: "20" },
    "spread-ms": { type: "string", default: "150" },
    "batch-sizes": { type: "string", default: "500,2000,5000" },
    "floor-runs": { type: "string", default: "3" },
    basic: { type: "boolean", default: false },
    pg: { type: "string" },
    dir: { type: "string" },
  },
});
const ROWS = _count(values.rows, "--rows");
const STREAMS = _count(values.streams, "--streams");
const HISTORY = _count(values.history, "--history");
const BURSTS = _count(values.bursts, "--bursts");
const FLOOR_RUNS = _count(values["floor-runs"], "--floor-runs");
const SPREAD_MS = values["spread-ms"] === "0" ? 0 : _count(values["spread-ms"], "--spread-ms");
const BATCH_SIZES = values["batch-sizes"].split(",").map((s) => _count(s, "--batch-sizes"));
const ADMIN_URL = values.pg ?? process.env.RESILIENCE_TEST_PG ?? "postgres://root@127.0.0.1:5432/test";
const MINUTE_MS = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const TABLE = "candles";
const FLOOR_TABLE = "candles_copy";
/** Between bursts: the replicator's 50 ms coalescing pause is over and it idles. */
const BURST_PAUSE_MS = 300;

const dbName = `resilience_bench_${process.pid}`;
const dbUrl = _withDatabase(ADMIN_URL, dbName);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), "bench-db-"));
mkdirSync(dir, { recursive: true });
await _serverStart();
await _admin((admin) => admin.unsafe(`CREATE DATABASE "${dbName}"`));
let sql = new SQL({ url: dbUrl, max: 1 });
try {
  console.log(`Machine: ${describeMachine()}; ${(await sql`SELECT version()`)[0].version.split(" on ")[0]}\n`);
  const formats: CsvColumns[] = values.basic ? ["full", "basic"] : ["full"];
  const rows: string[][] = [];
  for (const format of formats) {
    const csv = _writeCsv(join(dir, `candles_BTCUSDT_1m.${format}.csv`), format, ROWS);
    const copy = await _medianOf(FLOOR_RUNS, () => _measure(`\\copy ${format}`, () => _copyFloor(csv, format, false)));
    const staged = await _medianOf(FLOOR_RUNS, () => _measure(`staged \\copy ${format}`, () => _copyFloor(csv, format, true)));
    rows.push([`psql \\copy, ${format} (floor)`, formatCount(ROWS / copy), formatMs(copy * 1000), "1.00x", "", "", ""]);
    rows.push([`psql \\copy to a staging table + INSERT ON CONFLICT, ${format}`, formatCount(ROWS / staged), formatMs(staged * 1000), formatRatio(staged / copy), "", "", ""]);
    const row = (label: string, run: _Run) => [label, formatCount(ROWS / run.seconds), formatMs(run.seconds * 1000), formatRatio(run.seconds / copy), formatMs(run.cpuMs), formatMs(run.db.ms), `${formatCount(run.db.inserts)} / ${formatCount(run.replicated)}`];
    for (const batchRows of format === "full" ? BATCH_SIZES : [BATCH_ROWS]) {
      rows.push(row(`replicator, ${format}, batchRows ${batchRows}`, await _measure(`import ${format} ${batchRows}`, () => _replicate(csv, batchRows, true))));
    }
    if (format === "full") rows.push(row(`restart: replicator over the same CSV and the full table (rows scanned)`, await _measure("restart", () => _replicate(csv, BATCH_ROWS, false))));
  }
  console.log(`Import of ${formatCount(ROWS)} rows of 1m candles into an empty table (wall time; psql: median of ${FLOOR_RUNS} runs, replicator: one run each)\n`);
  console.log(markdownTable([["path", "rows/s", "wall", "vs floor", "replicator CPU", "time in queries", "INSERTs / rows sent"], ...rows], ["l", "r", "r", "r", "r", "r", "r"]));
  console.log(`\n${await _measure("minute bursts", _bursts)}`);
} finally {
  await sql.close({ timeout: 0 }).catch(() => {});
  await _serverStart().catch(() => {});
  await _admin((admin) => admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)).catch((err) => console.error(`could not drop ${dbName}: ${(err as Error).message}`));
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

/**
 * Runs a measurement; when PostgreSQL restarted meanwhile (its postmaster start time moved:
 * another process may stop it for a while), waits for it and measures again, up to 3 times.
 */
async function _measure<T>(what: string, measure: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const before = await _serverStart();
    let result: { value: T } | undefined;
    let error: unknown;
    try {
      result = { value: await measure() };
    } catch (err) {
      error = err;
    }
    const restarted = (await _serverStart()) !== before;
    if (!restarted) {
      if (result) return result.value;
      throw error;
    }
    if (attempt === 3) throw new Error(`${what}: PostgreSQL restarted during each of 3 attempts; rerun later`, { cause: error });
    console.error(`(${what}: PostgreSQL restarted during the measurement; measuring again)`);
    await sql.close({ timeout: 0 }).catch(() => {});
    sql = new SQL({ url: dbUrl, max: 1 });
  }
}

/** The median of `runs` sequential measurements. */
async function _medianOf(runs: number, measure: () => Promise<number>): Promise<number> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push(await measure());
  return percentile(all, 50);
}

/** The postmaster's start time, once PostgreSQL answers (waits up to 60 s for it). */
async function _serverStart(): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await _admin(async (admin) => String((await admin`SELECT pg_postmaster_start_time()::text AS t`)[0].t));
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL at ${new URL(ADMIN_URL).host} does not answer; start it, or give --pg postgres://user@host:port/db`, { cause: err });
      await Bun.sleep(500);
    }
  }
}

/** One statement on a short-lived connection to the admin database. */
async function _admin<T>(run: (admin: SQL) => Promise<T>): Promise<T> {
  const admin = new SQL({ url: ADMIN_URL, max: 1, connectionTimeout: 3 });
  try {
    return await run(admin);
  } finally {
    await admin.close({ timeout: 0 }).catch(() => {});
  }
}

interface _DbStats {
  statements: number;
  inserts: number;
  /** Wall time inside client.unsafe, ms. */
  ms: number;
}

interface _Run {
  seconds: number;
  /** This process's CPU (user + system) over the run, ms: the replicator's reading, parsing and JSON. */
  cpuMs: number;
  db: _DbStats;
  replicated: number;
}

/** A replicator on the bench database whose client counts and times the statements. */
function _replicator(events: RecorderEvent[], batchRows = BATCH_ROWS): { replicator: Replicator; db: _DbStats } {
  const db: _DbStats = { statements: 0, inserts: 0, ms: 0 };
  const inner = createDbClient({ target: parseDbUrl(dbUrl, "--db") });
  const client: DbClient = {
    target: inner.target,
    async unsafe(text, params) {
      const start = performance.now();
      try {
        return await inner.unsafe(text, params);
      } finally {
        db.ms += performance.now() - start;
        db.statements++;
        if (text.startsWith("INSERT")) db.inserts++;
      }
    },
    close: () => inner.close(),
  };
  const replicator = createReplicator({ client, table: TABLE, host: "bench", clock: systemClock, emit: (e) => events.push(e), batchRows });
  return { replicator, db };
}

/** Follows one CSV until it is all in the table (from an empty table when `fresh`). */
async function _replicate(csv: string, batchRows: number, fresh: boolean): Promise<_Run> {
  if (fresh) await sql.unsafe(`DROP TABLE IF EXISTS ${TABLE}, ${TABLE}_conflicts`);
  await sql`CHECKPOINT`;
  const events: RecorderEvent[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { replicator, db } = _replicator(events, batchRows);
  let seconds: number;
  try {
    replicator.follow({ stream: "BTCUSDT@1m", market: "spot", symbol: "BTCUSDT", interval: "1m", csv, intervalMs: MINUTE_MS, lastRow: T0 + (ROWS - 1) * MINUTE_MS });
    await _until(replicator, events, 10);
    seconds = (performance.now() - start) / 1000;
  } finally {
    await replicator.close();
  }
  const used = process.cpuUsage(cpu);
  const replicated = replicator.snapshot().replicatedRows;
  const [{ n }] = await sql.unsafe(`SELECT count(*)::int AS n FROM ${TABLE}`);
  if (n !== ROWS) throw new Error(`the table holds ${n} rows, not ${ROWS}`);
  return { seconds, cpuMs: (used.user + used.system) / 1000, db, replicated };
}

/** Seconds for psql to `\copy` the CSV into a table whose key columns default to the stream's (or via a staging table). */
async function _copyFloor(csv: string, format: CsvColumns, staged: boolean): Promise<number> {
  const columns = CANDLE_COLUMNS.slice(3, format === "full" ? CANDLE_COLUMNS.length : 9).map(([name]) => name).join(", ");
  const key: Record<string, string> = { market: "spot", symbol: "BTCUSDT", interval: "1m" };
  const defs = CANDLE_COLUMNS.map(([name, type], i) => `${name} ${type}${i < 4 ? " NOT NULL" : ""}${key[name] ? ` DEFAULT '${key[name]}'` : ""}`).join(", ");
  await sql.unsafe(`DROP TABLE IF EXISTS ${FLOOR_TABLE}`);
  await sql.unsafe(`CREATE TABLE ${FLOOR_TABLE} (${defs}, PRIMARY KEY (market, symbol, interval, open_time))`);
  await sql`CHECKPOINT`;
  const copy = (table: string) => `\\copy ${table} (${columns}) FROM '${csv}' WITH (FORMAT csv, HEADER true)`;
  const commands = staged
    ? [`CREATE TEMP TABLE staging (${CANDLE_COLUMNS.slice(3).map(([name, type]) => `${name} ${type}`).join(", ")})`, copy("staging"), `INSERT INTO ${FLOOR_TABLE} (${columns}) SELECT ${columns} FROM staging ON CONFLICT DO NOTHING`]
    : [copy(FLOOR_TABLE)];
  const url = new URL(dbUrl);
  const args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username) || "root", "-d", dbName, ...commands.flatMap((c) => ["-c", c])];
  const start = performance.now();
  const psql = Bun.spawnSync(["psql", ...args], { stdout: "pipe", stderr: "pipe" });
  const seconds = (performance.now() - start) / 1000;
  if (psql.exitCode !== 0) throw new Error(`psql exited ${psql.exitCode}: ${psql.stderr.toString().trim()}`);
  const [{ n }] = await sql.unsafe(`SELECT count(*)::int AS n FROM ${FLOOR_TABLE}`);
  if (n !== ROWS) throw new Error(`${FLOOR_TABLE} holds ${n} rows, not ${ROWS}`);
  await sql.unsafe(`DROP TABLE ${FLOOR_TABLE}`);
  return seconds;
}

/** STREAMS CSVs with HISTORY rows each: imported, restarted over, then the minute bursts. Returns the report. */
async function _bursts(): Promise<string> {
  const burstDir = join(dir, "burst");
  rmSync(burstDir, { recursive: true, force: true });
  mkdirSync(burstDir, { recursive: true });
  const streams = Array.from({ length: STREAMS }, (_, i) => {
    const symbol = `B${i}USDT`;
    return { stream: `${symbol}@1m`, market: "spot", symbol, interval: "1m", csv: _writeCsv(join(burstDir, `candles_${symbol}_1m.csv`), "full", HISTORY), intervalMs: MINUTE_MS, lastRow: T0 + (HISTORY - 1) * MINUTE_MS };
  });
  await sql.unsafe(`DROP TABLE IF EXISTS ${TABLE}, ${TABLE}_conflicts`);
  const events: RecorderEvent[] = [];
  const first = _replicator(events);
  const start = performance.now();
  try {
    for (const s of streams) first.replicator.follow(s);
    await _until(first.replicator, events, 10);
  } finally {
    await first.replicator.close();
  }
  const importMs = performance.now() - start;
  const { replicator, db } = _replicator(events);
  const restart = performance.now();
  try {
    for (const s of streams) replicator.follow(s);
    await _until(replicator, events, 10);
    const restartMs = performance.now() - restart;
    const restartStatements = db.statements;
    const rows: string[][] = [];
    let next = HISTORY;
    for (const spreadMs of SPREAD_MS > 0 ? [0, SPREAD_MS] : [0]) {
      const r = await _burstRounds(replicator, streams, db, events, next, spreadMs);
      next += BURSTS;
      const label = spreadMs === 0 ? "durable() for all in a tight loop" : `durable() spread over ${spreadMs} ms`;
      rows.push([label, String(BURSTS), formatMs(percentile(r.times, 50)), formatMs(percentile(r.times, 99)), formatMs(Math.max(...r.times)), spreadMs === 0 ? "" : formatMs(percentile(r.fromLast, 50)), formatMs(r.maxLag), `${percentile(r.inserts, 50)} (${Math.min(...r.inserts)}-${Math.max(...r.inserts)})`, formatMs(percentile(r.queryMs, 50))]);
    }
    const [{ n }] = await sql.unsafe(`SELECT count(*)::int AS n FROM ${TABLE}`);
    if (n !== STREAMS * next) throw new Error(`the table holds ${n} rows, not ${STREAMS * next}`);
    return [
      `Minute burst: ${formatCount(STREAMS)} streams × 1m, each with ${HISTORY} rows replicated (first import ${formatMs(importMs)}, ${first.db.statements} statements; a restart over them ${formatMs(restartMs)}, ${restartStatements} statements).`,
      "One row appended to every CSV, then durable() for each; the time from the first durable() until pendingRows is 0.\n",
      markdownTable([["burst", "bursts", "p50", "p99", "max", "p50 from the last durable()", "max lagMs seen", "INSERTs per burst, median (range)", "time in queries per burst, median"], ...rows], ["l", "r", "r", "r", "r", "r", "r", "r", "r"]),
    ].join("\n");
  } finally {
    await replicator.close();
  }
}

/** BURSTS minutes from open time index `from`: appends a row to each CSV, then the durables; times each until nothing is pending. */
async function _burstRounds(replicator: Replicator, streams: ReadonlyArray<{ stream: string; csv: string }>, db: _DbStats, events: RecorderEvent[], from: number, spreadMs: number) {
  const times: number[] = [];
  const fromLast: number[] = [];
  const inserts: number[] = [];
  const queryMs: number[] = [];
  let maxLag = 0;
  for (let i = from; i < from + BURSTS; i++) {
    const openTime = T0 + i * MINUTE_MS;
    for (const s of streams) appendFileSync(s.csv, formatCandleRow(_candle(i, openTime), "full"));
    const before = { ...db };
    const start = performance.now();
    let lastDurable: number | undefined;
    if (spreadMs === 0) {
      for (const s of streams) replicator.durable(s.stream, openTime);
      lastDurable = performance.now();
    } else void _spreadDurables(replicator, streams, openTime, spreadMs).then((at) => (lastDurable = at));
    for (;;) {
      const snap = replicator.snapshot();
      maxLag = Math.max(maxLag, snap.lagMs);
      if (snap.pendingRows === 0 && lastDurable !== undefined) break;
      if (events.some((e) => e.type === "db_unreachable")) throw new Error("PostgreSQL went away during the bursts");
      await Bun.sleep(1);
    }
    const end = performance.now();
    times.push(end - start);
    fromLast.push(end - lastDurable);
    inserts.push(db.inserts - before.inserts);
    queryMs.push(db.ms - before.ms);
    await Bun.sleep(BURST_PAUSE_MS);
  }
  return { times, fromLast, inserts, queryMs, maxLag };
}

/** durable() for every stream, in equal slices over `spreadMs` (one slice per ms). Resolves with the time of the last call. */
async function _spreadDurables(replicator: Replicator, streams: ReadonlyArray<{ stream: string }>, openTime: number, spreadMs: number): Promise<number> {
  const perMs = Math.ceil(streams.length / spreadMs);
  for (let i = 0; ; i += perMs) {
    for (const s of streams.slice(i, i + perMs)) replicator.durable(s.stream, openTime);
    if (i + perMs >= streams.length) return performance.now();
    await Bun.sleep(1);
  }
}

/** Waits until the replicator is live with nothing pending; a database that goes away fails the run. */
async function _until(replicator: Replicator, events: RecorderEvent[], pollMs: number): Promise<void> {
  for (;;) {
    const snap = replicator.snapshot();
    if (snap.state === "live" && snap.pendingRows === 0) return;
    const gone = events.find((e) => e.type === "db_unreachable");
    if (gone) throw new Error(`PostgreSQL went away during the run (${JSON.stringify(gone)})`);
    await Bun.sleep(pollMs);
  }
}

/** A gap-free 1m CSV of `count` rows from 2024-01-01, in our format. Returns its path. */
function _writeCsv(path: string, columns: CsvColumns, count: number): string {
  const fd = openSync(path, "w");
  let chunk = `${csvHeader(columns)}\n`;
  for (let i = 0; i < count; i++) {
    chunk += formatCandleRow(_candle(i, T0 + i * MINUTE_MS), columns);
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  return path;
}

/** A plausible BTCUSDT minute: 8-decimal strings, low <= open, close <= high. */
function _candle(i: number, openTime: number): Candle {
  const base = 90_000 + ((i * 7919) % 12_000);
  const cents = (n: number) => String(n % 100).padStart(2, "0");
  const volume = (i % 997) + 1;
  return {
    symbol: "BTCUSDT", interval: "1m", openTime, closeTime: openTime + MINUTE_MS - 1,
    open: `${base}.${cents(i * 37)}000000`, high: `${base + 25}.99000000`, low: `${base - 25}.01000000`,
    close: `${base + ((i * 13) % 40) - 20}.${cents(i * 59)}000000`, volume: `${volume}.${cents(i * 17)}125000`,
    quoteVolume: `${volume * base}.73950120`, trades: (i % 3000) + 1, takerBuyBase: `${Math.floor(volume / 2)}.17500000`, takerBuyQuote: `${Math.floor((volume / 2) * base)}.51220000`,
  };
}

function _withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function _count(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: "${text}" is not a positive whole number`);
  return n;
}
