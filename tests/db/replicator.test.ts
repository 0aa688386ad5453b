import { afterEach, expect } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/clock.ts";
import { createDbClient } from "../../src/db/db-client.ts";
import { parseDbUrl } from "../../src/db/db-url.ts";
import { createReplicator, type Replicator } from "../../src/db/replicator.ts";
import { ensureSchema } from "../../src/db/schema.ts";
import type { RecorderEvent } from "../../src/supervisor/events.ts";
import { createTestDatabase, pgTest, testSql, type TestDatabase } from "../helpers/postgres.ts";

const test = await pgTest();
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const HEADER = "timestamp,open,high,low,close,volume\n";

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function row(i: number, close = `${96000 + (i % 1000)}.34000000`): string {
  return `${new Date(T0 + i * H).toISOString().replace(".000Z", "Z")},96000.00000000,97000.00000000,0.00000912,${close},12.50000000\n`;
}

async function setup(): Promise<{ db: TestDatabase; dir: string; events: RecorderEvent[]; replicator: (batchRows?: number) => Replicator }> {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), "replicator-"));
  const events: RecorderEvent[] = [];
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => db.drop());
  return {
    db,
    dir,
    events,
    replicator(batchRows) {
      const r = createReplicator({ client: createDbClient({ target: parseDbUrl(db.url, "--db"), queryTimeoutMs: 5000 }), table: "candles", host: "test-host", clock: systemClock, emit: (e) => events.push(e), batchRows });
      cleanups.unshift(() => r.close());
      return r;
    },
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A CSV of one row, followed until that row is in the table; a client on the database. */
async function replicatingRow0(db: TestDatabase, dir: string, replicator: () => Replicator) {
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  writeFileSync(csv, HEADER + row(0));
  const r = replicator();
  r.follow(follow(csv, T0));
  await until("row 0", () => r.snapshot().state === "live" && r.snapshot().pendingRows === 0);
  const sql = testSql(db.url);
  cleanups.unshift(() => sql.close());
  return { csv, r, sql };
}

const follow = (csv: string, lastRow: number | undefined) => ({ stream: "BTCUSDT@1h", market: "spot", symbol: "BTCUSDT", interval: "1h", csv, intervalMs: H, lastRow });

test("an existing CSV is imported, then each durable row follows; values come back exactly as written", async () => {
  const { db, dir, replicator } = await setup();
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  writeFileSync(csv, HEADER + Array.from({ length: 500 }, (_, i) => row(i)).join(""));
  const r = replicator(64);
  r.follow(follow(csv, T0 + 499 * H));
  const sql = testSql(db.url);
  cleanups.unshift(() => sql.close());
  await until("500 rows", async () => r.snapshot().pendingRows === 0 && r.snapshot().state === "live");
  appendFileSync(csv, row(500) + row(501));
  r.durable("BTCUSDT@1h", T0 + 500 * H); // 501 is written but not yet durable: it must wait
  await until("row 500", () => r.snapshot().pendingRows === 0);
  const rows = await sql`SELECT open::text, low::text, close::text, volume::text, extract(epoch from open_time)*1000 AS t FROM candles ORDER BY open_time`;
  expect(rows.length).toBe(501);
  expect(rows[500]).toEqual({ open: "96000.00000000", low: "0.00000912", close: "96500.34000000", volume: "12.50000000", t: String(T0 + 500 * H) + ".000000" });
  expect(r.snapshot()).toMatchObject({ replicatedRows: 501, insertedRows: 501, conflicts: 0, lagMs: 0 });
});

test("a second pass over the same CSV sends only what the table lacks", async () => {
  const { db, dir, replicator } = await setup();
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  writeFileSync(csv, HEADER + Array.from({ length: 100 }, (_, i) => row(i)).join(""));
  const first = replicator();
  first.follow(follow(csv, T0 + 99 * H));
  await until("first import", () => first.snapshot().state === "live" && first.snapshot().pendingRows === 0);
  await first.close();
  const sql = testSql(db.url);
  cleanups.unshift(() => sql.close());
  await sql`DELETE FROM candles WHERE open_time IN (${new Date(T0 + 10 * H)}, ${new Date(T0 + 60 * H)})`;
  const second = replicator();
  second.follow(follow(csv, T0 + 99 * H));
  await until("second pass", () => second.snapshot().state === "live" && second.snapshot().pendingRows === 0);
  expect(second.snapshot().replicatedRows).toBe(2);
  expect((await sql`SELECT count(*)::int AS n FROM candles`)[0].n).toBe(100);
});

test("a row whose key exists with other values is kept, reported and recorded in candles_conflicts", async () => {
  const { db, dir, events, replicator } = await setup();
  const { csv, r, sql } = await replicatingRow0(db, dir, replicator);
  // Another recorder wrote candle 1 differently; and candle 2 the same, but as 96002.34 (numerically equal).
  await sql.unsafe(`INSERT INTO candles (market, symbol, interval, open_time, open, high, low, close, volume) VALUES
    ('spot','BTCUSDT','1h','${new Date(T0 + H).toISOString()}', 96000, 97000, 0.00000912, 1.5, 12.5),
    ('spot','BTCUSDT','1h','${new Date(T0 + 2 * H).toISOString()}', 96000, 97000, 0.00000912, 96002.34, 12.5)`);
  appendFileSync(csv, row(1) + row(2));
  r.durable("BTCUSDT@1h", T0 + 2 * H);
  await until("rows 1-2", () => r.snapshot().pendingRows === 0);
  expect(r.snapshot()).toMatchObject({ conflicts: 1, insertedRows: 1, replicatedRows: 3 });
  const stored = await sql`SELECT close::text FROM candles WHERE open_time = ${new Date(T0 + H)}`;
  expect(stored[0].close).toBe("1.5");
  const kept = await sql`SELECT host, stored->>'close' AS theirs, offered->>'close' AS ours FROM candles_conflicts`;
  expect(kept).toEqual([{ host: "test-host", theirs: "1.5", ours: "96001.34000000" }]);
  const conflict = events.find((e) => e.type === "db_conflict");
  expect(conflict).toMatchObject({ symbol: "BTCUSDT", interval: "1h", openTime: T0 + H });
});

test("a row the server refuses is isolated and skipped; the rest of its batch lands", async () => {
  const { db, dir, events, replicator } = await setup();
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  // A trades count beyond bigint passes the CSV parser but not PostgreSQL.
  const full = "timestamp,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote\n";
  const line = (i: number, trades: string) => `${row(i).trim()},${new Date(T0 + i * H + H - 1).toISOString()},1.0,${trades},0.5,0.6\n`;
  writeFileSync(csv, full + line(0, "10") + line(1, "99999999999999999999") + line(2, "12"));
  const r = replicator();
  r.follow(follow(csv, T0 + 2 * H));
  await until("the batch", () => r.snapshot().state === "live" && r.snapshot().pendingRows === 0);
  const sql = testSql(db.url);
  cleanups.unshift(() => sql.close());
  expect((await sql`SELECT trades::text FROM candles ORDER BY open_time`).map((x: { trades: string }) => x.trades)).toEqual(["10", "12"]);
  expect(events.filter((e) => e.type === "db_row_rejected")).toMatchObject([{ openTime: T0 + H }]);
});

test("an unreachable database is an event, never a throw; the lag grows and the rows wait in the CSV", async () => {
  const { dir } = await setup();
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  writeFileSync(csv, HEADER + row(0));
  const events: RecorderEvent[] = [];
  const r = createReplicator({ client: createDbClient({ target: parseDbUrl("postgres://root:s3cret@127.0.0.1:1/nowhere", "--db"), queryTimeoutMs: 2000 }), table: "candles", host: "h", clock: systemClock, emit: (e) => events.push(e) });
  cleanups.unshift(() => r.close());
  r.follow(follow(csv, T0));
  await until("db_unreachable", () => events.some((e) => e.type === "db_unreachable"));
  const snap = r.snapshot();
  expect(snap).toMatchObject({ state: "unreachable", target: "127.0.0.1:1/nowhere", pendingRows: 1 });
  expect(JSON.stringify(events) + JSON.stringify(snap)).not.toContain("s3cret");
  expect(await r.drain(Date.now() + 300)).toBe(1);
});

test("catch-up of a large CSV (200,000 rows, 6 columns): every row once, in bounded batches, while new rows keep coming", async () => {
  const { db, dir, replicator } = await setup();
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  const N = 200_000;
  const chunks: string[] = [HEADER];
  for (let i = 0; i < N; i++) chunks.push(row(i));
  writeFileSync(csv, chunks.join(""));
  const r = replicator();
  r.follow(follow(csv, T0 + (N - 1) * H));
  // The recorder goes on appending while the backlog is sent.
  for (let i = N; i < N + 5; i++) {
    await Bun.sleep(30);
    appendFileSync(csv, row(i));
    r.durable("BTCUSDT@1h", T0 + i * H);
  }
  await until("the backlog", () => r.snapshot().state === "live" && r.snapshot().pendingRows === 0, 60_000);
  const sql = testSql(db.url);
  cleanups.unshift(() => sql.close());
  const [stats] = await sql`SELECT count(*)::int AS n, count(DISTINCT open_time)::int AS d, min(open_time) AS first, max(open_time) AS last FROM candles`;
  expect(stats).toEqual({ n: N + 5, d: N + 5, first: new Date(T0), last: new Date(T0 + (N + 4) * H) });
  const [sample] = await sql`SELECT close::text FROM candles WHERE open_time = ${new Date(T0 + 123_456 * H)}`;
  expect(sample.close).toBe("96456.34000000");
  expect(r.snapshot()).toMatchObject({ insertedRows: N + 5, lagMs: 0 });
}, 90_000);

test("drain sends what the CSV holds past the last durable row (the files are closed at a stop)", async () => {
  const { db, dir, replicator } = await setup();
  const csv = join(dir, "candles_BTCUSDT_1h.csv");
  writeFileSync(csv, HEADER + row(0));
  const r = replicator();
  r.follow(follow(csv, T0));
  await until("row 0", () => r.snapshot().state === "live" && r.snapshot().pendingRows === 0);
  appendFileSync(csv, row(1) + row(2) + "2024-01-01T03:00:00Z,96"); // a torn last line is not a row
  expect(await r.drain(Date.now() + 5000)).toBe(0);
  const sql = testSql(db.url);
  cleanups.unshift(() => sql.close());
  expect((await sql`SELECT count(*)::int AS n FROM candles`)[0].n).toBe(3);
});

test("a refusal that is the database's state, not the rows' (the table dropped, no INSERT right), skips nothing: the rows wait and land", async () => {
  const { db, dir, events, replicator } = await setup();
  const { csv, r, sql } = await replicatingRow0(db, dir, replicator);
  await sql`DROP TABLE candles`;
  appendFileSync(csv, row(1));
  r.durable("BTCUSDT@1h", T0 + H);
  await until("row 1 in a table made again", () => r.snapshot().pendingRows === 0 && r.snapshot().state === "live", 15_000);
  expect((await sql`SELECT count(*)::int AS n FROM candles`)[0].n).toBe(1);
  expect(events.filter((e) => e.type === "db_row_rejected")).toEqual([]);
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["db_unreachable", "db_recovered"]));
});

test("recorders starting together on a new database create the tables once, without an error", async () => {
  const { db } = await setup();
  const clients = Array.from({ length: 8 }, () => createDbClient({ target: parseDbUrl(db.url, "--db") }));
  const results = await Promise.allSettled(clients.map((c) => ensureSchema(c, "candles")));
  await Promise.all(clients.map((c) => c.close()));
  expect(results.filter((r) => r.status === "rejected")).toEqual([]);
});
