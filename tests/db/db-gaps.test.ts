import { afterEach, beforeEach, describe, expect, test as pureTest } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SQL } from "bun";
import { auditDbTable, reportFromRows, resolveDbGapsOptions, selectStreams, type DbGapsArgs, type DbGapsItem } from "../../src/db/db-gaps.ts";
import { columnDefinitions, schemaStatements } from "../../src/db/schema.ts";
import { nextOpenTime, type Interval } from "../../src/time/intervals.ts";
import { createTestDatabase, pgTest, testSql, type TestDatabase } from "../helpers/postgres.ts";

const test = await pgTest();
const ROOT = join(import.meta.dir, "../..");
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** Well after every candle these tests write: --until is never capped by "now". */
const NOW = Date.UTC(2025, 0, 1);

let db: TestDatabase;
let sql: SQL;
let dir: string;
/** Candles at `times` (epoch ms), with sane values, as the recorder's replication writes them. */
async function insert(times: number[], key: { market?: string; symbol?: string; interval?: Interval } = {}, table = "candles") {
  const { market = "spot", symbol = "BTCUSDT", interval = "1h" } = key;
  const rows = times.map((t) => ({ market, symbol, interval, ..._values(t, interval) }));
  await sql.unsafe(`INSERT INTO ${table} SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(${columnDefinitions()})`, [JSON.stringify(rows)]);
}

/** The same candles as a CSV of ours (no header: its line numbers are then the table's row numbers). */
function writeCsv(name: string, times: number[], interval: Interval = "1h"): string {
  const path = join(dir, name);
  const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
  writeFileSync(path, times.map((t) => { const v = _values(t, interval); return `${iso(t)},${v.open},${v.high},${v.low},${v.close},${v.volume},${v.close_time},${v.quote_volume},${v.trades},${v.taker_buy_base},${v.taker_buy_quote}\n`; }).join(""));
  return path;
}

async function audit(args: Partial<DbGapsArgs> = {}): Promise<DbGapsItem[]> {
  const items: DbGapsItem[] = [];
  for await (const item of auditDbTable(resolveDbGapsOptions({ db: db.url, dbFrom: "--db", files: [], ...args }, NOW))) items.push(item);
  return items;
}

/** The `--json` records of an in-process audit, keyed by label. */
async function reports(args: Partial<DbGapsArgs> = {}) {
  return (await audit(args)).map((i) => (i.kind === "stream" ? { label: i.check.file, ...i.check.report } : { note: i.text, finding: i.finding }));
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, "src/cli.ts", "gaps", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

const hours = (...n: number[]) => n.map((k) => T0 + k * H);

describe("gaps --db", () => {
  beforeEach(async () => {
    db = await createTestDatabase();
    sql = testSql(db.url);
    for (const statement of schemaStatements("candles")) await sql.unsafe(statement);
    dir = mkdtempSync(join(tmpdir(), "db-gaps-"));
  });
  afterEach(async () => {
    await sql.close({ timeout: 0 }).catch(() => {});
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a clean table exits 0 with one ok line per stream", async () => {
    await insert(hours(0, 1, 2, 3));
    const { code, stdout, stderr } = await cli(["--db", db.url]);
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toBe(`postgres 127.0.0.1:5432/${db.name} candles spot BTCUSDT 1h: 1h, 4 candles 2024-01-01T00:00:00Z .. 2024-01-01T03:00:00Z; gaps 0, duplicates 0, out of order 0, misaligned 0, corrupt 0 ok\n`);
  });

  test("holes: first and last missing open time and the count, at the row after the hole", async () => {
    await insert(hours(0, 1, 4, 5, 6, 9));
    const [r] = await reports();
    expect(r).toMatchObject({ rows: 6, first: T0, last: T0 + 9 * H, headMissing: 0, tailMissing: 0 });
    expect((r as { gaps: unknown }).gaps).toEqual([
      { prev: T0 + H, next: T0 + 4 * H, firstMissing: T0 + 2 * H, lastMissing: T0 + 3 * H, missing: 2, line: 3, kind: "unknown" },
      { prev: T0 + 6 * H, next: T0 + 9 * H, firstMissing: T0 + 7 * H, lastMissing: T0 + 8 * H, missing: 2, line: 6, kind: "unknown" },
    ]);
    const { code, stdout } = await cli(["--db", db.url]);
    expect(code).toBe(1);
    expect(stdout).toContain("  row 3: gap of 2 2024-01-01T02:00:00Z .. 2024-01-01T03:00:00Z, between 2024-01-01T01:00:00Z and 2024-01-01T04:00:00Z: not verified");
  });

  test("--since/--until: the missing head and tail, and only that range is read", async () => {
    await insert(hours(-5, 2, 3, 4, 20));
    const [r] = await reports({ since: "2024-01-01T00:00:00Z", until: "2024-01-01T06:00:00Z" });
    expect(r).toMatchObject({ rows: 3, first: T0 + 2 * H, last: T0 + 4 * H, gaps: [], headMissing: 2, tailMissing: 2, expectedFirst: T0, expectedLast: T0 + 6 * H });
    // --until now: the last closed candle; the recorder stopped at 20:00.
    const [late] = await reports({ since: "2024-01-01T02:00:00Z", until: "now" });
    expect(late).toMatchObject({ rows: 4, gaps: [{ firstMissing: T0 + 5 * H, missing: 15 }], headMissing: 0 });
    expect((late as { tailMissing: number }).tailMissing).toBeGreaterThan(8000);
  });

  test("1M is calendar months, whatever the session's time zone", async () => {
    await sql.unsafe(`ALTER DATABASE "${db.name}" SET timezone TO 'America/New_York'`);
    const months = [0, 1, 3, 4, 5].map((m) => Date.UTC(2024, m, 1));
    await insert([...months, Date.UTC(2024, 4, 15)], { interval: "1M" });
    const [r] = await reports();
    expect(r).toMatchObject({ interval: "1M", rows: 5, first: Date.UTC(2024, 0, 1), last: Date.UTC(2024, 5, 1) });
    expect((r as { gaps: unknown }).gaps).toEqual([{ prev: Date.UTC(2024, 1, 1), next: Date.UTC(2024, 3, 1), firstMissing: Date.UTC(2024, 2, 1), lastMissing: Date.UTC(2024, 2, 1), missing: 1, line: 3, kind: "unknown" }]);
    expect((r as { misaligned: unknown }).misaligned).toEqual([{ time: Date.UTC(2024, 4, 15), line: 5 }]);
    const [bounded] = await reports({ since: "2023-11-01", until: "2024-08-01" });
    expect(bounded).toMatchObject({ headMissing: 2, tailMissing: 2 });
  });

  test("1w candles open on Mondays", async () => {
    const monday = Date.UTC(2024, 0, 1);
    await insert([monday, monday + 7 * 86_400_000, monday + 21 * 86_400_000, monday + 22 * 86_400_000], { interval: "1w" });
    const [r] = await reports();
    expect(r).toMatchObject({ rows: 3, gaps: [{ firstMissing: monday + 14 * 86_400_000, missing: 1, line: 3 }], misaligned: [{ time: monday + 22 * 86_400_000, line: 4 }] });
  });

  test("misaligned rows are reported and do not break the run around them", async () => {
    await insert([...hours(0, 1, 2), T0 + 2.5 * H, T0 + 2.5 * H + 1, ...hours(3, 5)]);
    const [r] = await reports();
    expect(r).toMatchObject({ rows: 5, first: T0, last: T0 + 5 * H });
    expect((r as { gaps: unknown[] }).gaps).toEqual([{ prev: T0 + 3 * H, next: T0 + 5 * H, firstMissing: T0 + 4 * H, lastMissing: T0 + 4 * H, missing: 1, line: 7, kind: "unknown" }]);
    expect((r as { misaligned: unknown }).misaligned).toEqual([{ time: T0 + 2.5 * H, line: 4 }, { time: T0 + 2.5 * H + 1, line: 5 }]);
  });

  test("two symbols and two intervals, each its own report in key order; filters pick among them", async () => {
    await insert(hours(0, 1, 2), { symbol: "ETHUSDT" });
    await insert(hours(0, 2), { symbol: "BTCUSDT" });
    await insert([T0, T0 + 24 * H], { symbol: "BTCUSDT", interval: "1d" });
    await insert(hours(0, 1), { market: "usdm", symbol: "BTCUSDT" });
    const labels = async (args: Partial<DbGapsArgs>) => (await reports(args)).map((r) => ("label" in r ? `${r.label.split(" ").slice(3).join(" ")} ${r.rows} ${r.gaps.length}` : r.note));
    expect(await labels({})).toEqual(["spot BTCUSDT 1h 2 1", "spot BTCUSDT 1d 2 0", "spot ETHUSDT 1h 3 0", "usdm BTCUSDT 1h 2 0"]);
    expect(await labels({ symbol: "ethusdt, btcusdt", market: "spot" })).toEqual(["spot BTCUSDT 1h 2 1", "spot BTCUSDT 1d 2 0", "spot ETHUSDT 1h 3 0"]);
    expect(await labels({ interval: "1d" })).toEqual(["spot BTCUSDT 1d 2 0"]);
    expect(await labels({ market: "usdm", interval: "1h,1d" })).toEqual(["usdm BTCUSDT 1h 2 0"]);
    const { code, stdout } = await cli(["--db", db.url, "--symbol", "ETHUSDT", "--json"]);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n").map((l) => JSON.parse(l).file)).toEqual([`postgres 127.0.0.1:5432/${db.name} candles spot ETHUSDT 1h`]);
  });

  test("--json equals the file audit's for the same candles, apart from the label", async () => {
    const times = [...hours(1, 2, 5, 6), T0 + 6.5 * H, ...hours(7, 8, 12)];
    await insert(times);
    const file = writeCsv("candles_BTCUSDT_1h.csv", times);
    for (const range of [[], ["--since", "2024-01-01T00:00:00Z", "--until", "2024-01-01T14:00:00Z"]]) {
      const fromFile = await cli([file, "--json", ...range]);
      const fromDb = await cli(["--db", db.url, "--json", ...range]);
      expect([fromFile.code, fromDb.code, fromDb.stderr]).toEqual([1, 1, ""]);
      const { file: a, ...fileRecord } = JSON.parse(fromFile.stdout);
      const { file: b, ...dbRecord } = JSON.parse(fromDb.stdout);
      expect([a, b]).toEqual([file, `postgres 127.0.0.1:5432/${db.name} candles spot BTCUSDT 1h`]);
      expect(dbRecord).toEqual(fileRecord);
      expect(dbRecord.gaps.length).toBe(2);
    }
  });

  test("another table, in a schema", async () => {
    await sql.unsafe(`CREATE SCHEMA market`);
    for (const statement of schemaStatements("market.klines")) await sql.unsafe(statement);
    await insert(hours(0, 1), {}, "market.klines");
    const { code, stdout } = await cli(["--db", db.url, "--db-table", "market.klines"]);
    expect(code).toBe(0);
    expect(stdout).toStartWith(`postgres 127.0.0.1:5432/${db.name} market.klines spot BTCUSDT 1h: 1h, 2 candles`);
  });

  test("an empty table: no candles, exit 0; exit 1 when --since/--until expect candles", async () => {
    expect(await cli(["--db", db.url])).toEqual({ code: 0, stdout: `postgres 127.0.0.1:5432/${db.name} candles: no candles (the table is empty)\n`, stderr: "" });
    const bounded = await cli(["--db", db.url, "--since", "2024-01-01", "--until", "2024-01-02", "--json"]);
    expect([bounded.code, bounded.stdout]).toEqual([1, ""]);
    expect(bounded.stderr).toBe(`resilience: postgres 127.0.0.1:5432/${db.name} candles: no candles (the table is empty); --since/--until expect candles from 2024-01-01T00:00:00Z to 2024-01-02T00:00:00Z: all missing\n`);
  });

  test("no stream matches: said; a stream named by --symbol and --interval is reported as a whole missing range", async () => {
    await insert(hours(0, 1));
    expect(await reports({ symbol: "ETHUSDT" })).toEqual([{ note: `postgres 127.0.0.1:5432/${db.name} candles: no candles (no stream matches --symbol ETHUSDT)`, finding: false }]);
    expect(await reports({ symbol: "ETHUSDT", interval: "1h" })).toMatchObject([{ label: `postgres 127.0.0.1:5432/${db.name} candles spot ETHUSDT 1h`, rows: 0, first: null, headMissing: 0 }]);
    const { code, stdout } = await cli(["--db", db.url, "--symbol", "ETHUSDT,BTCUSDT", "--interval", "1h", "--since", "2024-01-01T00:00:00Z", "--until", "2024-01-01T03:00:00Z", "--json"]);
    expect(code).toBe(1);
    expect(stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).map((r) => [r.file.split(" ").at(-2), r.rows, r.head_missing, r.tail_missing])).toEqual([["BTCUSDT", 2, 0, 2], ["ETHUSDT", 0, 4, 0]]);
  });

  test("the URL can come from RESILIENCE_DB; --fill, --verify and files with --db are refused", async () => {
    await insert(hours(0, 1));
    const fromEnv = await cli([], { RESILIENCE_DB: db.url });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain("spot BTCUSDT 1h: 1h, 2 candles");
    for (const [args, message] of [
      [["--db", db.url, "--fill"], "resilience: gaps: --fill works on files only, not with --db\n"],
      [["--db", db.url, "--verify"], "resilience: gaps: --verify works on files only, not with --db\n"],
      [["--db", db.url, "a.csv"], "resilience: gaps: give either candle files or --db, not both\n"],
      [["--db-table", "candles", "a.csv"], "resilience: gaps: --db-table works with --db only; give --db postgres://user@host:port/dbname\n"],
      [["--market", "futures", "a.csv"], `resilience: --market: "futures" is not a market; use one of spot, usdm, coinm\n`],
      [["--db", db.url, "--interval", "1h,7m"], `resilience: --interval: "7m" is not a Binance interval; use one of 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M\n`],
      [["--db", db.url, "--market", "futures"], `resilience: --market: "futures" is not a market; use spot, usdm, coinm\n`],
    ] as const) {
      expect(await cli([...args])).toEqual({ code: 2, stdout: "", stderr: message });
    }
  });

  test.each([
    ["a URL that is not postgres", "http://u:s3cret@127.0.0.1/x", [], "--db must start with postgres://"],
    ["an unknown table", "", ["--db-table", "nope"], "has no table nope; give the candle table with --db-table"],
    ["an unreachable port", "postgres://u:s3cret@127.0.0.1:1/x", [], "database 127.0.0.1:1/x: "],
    ["a database that does not exist", "postgres://root:s3cret@127.0.0.1:5432/no_such_db_here", [], 'database 127.0.0.1:5432/no_such_db_here: database "no_such_db_here" does not exist'],
  ])("%s: one line, exit 2, the password never shown", async (_, url, more, message) => {
    const { code, stdout, stderr } = await cli(["--db", url || db.url, ...more]);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toStartWith("resilience: ");
    expect(stderr).toContain(message);
    expect(stderr).not.toContain("s3cret");
    if (url) expect(stderr).not.toContain(url);
  });
});

describe("pure parts", () => {
  pureTest("selectStreams: case-insensitive symbols, named streams the table lacks, unknown intervals apart", () => {
    const present = [
      { market: "spot", symbol: "ETHUSDT", interval: "1d" },
      { market: "spot", symbol: "ETHUSDT", interval: "15m" },
      { market: "spot", symbol: "ETHUSDT", interval: "2m" },
    ];
    expect(selectStreams(present, { symbols: [], intervals: [], markets: [] })).toEqual({
      streams: [present[1]!, present[0]!],
      unknown: [present[2]!],
    });
    expect(selectStreams(present, { symbols: ["ETHUSDT", "BTCUSDT"], intervals: ["1d"], markets: [] }).streams).toEqual([
      { market: "spot", symbol: "BTCUSDT", interval: "1d" },
      present[0]!,
    ]);
    expect(selectStreams([], { symbols: ["BTCUSDT"], intervals: ["1h"], markets: [] }).streams).toEqual([{ market: "spot", symbol: "BTCUSDT", interval: "1h" }]);
  });

  pureTest("reportFromRows: a stream of misaligned rows only has no candles", () => {
    const r = reportFromRows("1h", [{ time: T0 + 1, prev: null, line: 1, aligned: false, last: false }, { time: T0 + 2, prev: T0 + 1, line: 2, aligned: false, last: true }], { now: NOW });
    expect(r).toMatchObject({ rows: 0, first: null, last: null, gaps: [], misaligned: [{ time: T0 + 1, line: 1 }, { time: T0 + 2, line: 2 }] });
  });
});

// --- internal ---

function _values(t: number, interval: Interval) {
  return {
    open_time: new Date(t).toISOString(),
    open: "100.00",
    high: "101.00",
    low: "99.00",
    close: "100.50",
    volume: "12.35",
    close_time: new Date(nextOpenTime(interval, t) - 1).toISOString(),
    quote_volume: "1241.50",
    trades: 10,
    taker_buy_base: "6.10",
    taker_buy_quote: "612.30",
  };
}
