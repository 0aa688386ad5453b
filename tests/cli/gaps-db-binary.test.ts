import { afterEach, beforeAll, beforeEach, describe, expect } from "bun:test";
import type { SQL } from "bun";
import { columnDefinitions, schemaStatements } from "../../src/db/schema.ts";
import { ensureBinary, runBinary } from "../helpers/binary.ts";
import { createTestDatabase, pgTest, testSql, type TestDatabase } from "../helpers/postgres.ts";

const test = await pgTest();
const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

let db: TestDatabase;
let sql: SQL;
beforeAll(() => void ensureBinary(), 180_000);
beforeEach(async () => {
  db = await createTestDatabase();
  sql = testSql(db.url);
  for (const statement of schemaStatements("candles")) await sql.unsafe(statement);
});
afterEach(async () => {
  await sql.close({ timeout: 0 }).catch(() => {});
  await db.drop();
});

/** 1h candles of BTCUSDT opening `hours` after 2024-01-01T00:00Z. */
async function insertHours(...hours: number[]) {
  const rows = hours.map((h) => ({ market: "spot", symbol: "BTCUSDT", interval: "1h", open_time: new Date(T0 + h * H).toISOString(), open: "1.0", high: "1.0", low: "1.0", close: "1.0", volume: "0" }));
  await sql.unsafe(`INSERT INTO candles SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS r(${columnDefinitions()})`, [JSON.stringify(rows)]);
}

const gaps = (args: string[], env: Record<string, string> = {}) => runBinary(["gaps", ...args], { env });

describe("dist/resilience gaps --db", () => {
  test("exit 0 on a clean table, exit 1 with the hole's exact range once one is there", async () => {
    await insertHours(0, 1, 2);
    const clean = await gaps(["--db", db.url]);
    expect([clean.code, clean.stderr]).toEqual([0, ""]);
    expect(clean.stdout).toEndWith("gaps 0, duplicates 0, out of order 0, misaligned 0, corrupt 0 ok\n");

    await insertHours(6);
    const { code, stdout } = await gaps(["--db", db.url, "--json", "--until", "2024-01-01T08:00:00Z"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      file: `postgres 127.0.0.1:5432/${db.name} candles spot BTCUSDT 1h`,
      rows: 4,
      gaps: [{ prev: "2024-01-01T02:00:00Z", next: "2024-01-01T06:00:00Z", first_missing: "2024-01-01T03:00:00Z", last_missing: "2024-01-01T05:00:00Z", missing: 3, line: 4, kind: "unknown" }],
      tail_missing: 2,
    });
  });

  test("reads the URL from RESILIENCE_DB and never prints it", async () => {
    await insertHours(0, 1);
    const url = db.url.replace("root@", "root:s3cret@");
    const { code, stdout, stderr } = await gaps([], { RESILIENCE_DB: url });
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toStartWith(`postgres 127.0.0.1:5432/${db.name} candles spot BTCUSDT 1h: 1h, 2 candles`);
    expect(stdout).not.toContain("s3cret");
  });

  test.each([
    [["--db", "postgres://u:s3cret@127.0.0.1:1/x"], "resilience: database 127.0.0.1:1/x: "],
    [["--db", "postgres://u:s3cret@127.0.0.1:1/x", "--fill"], "resilience: gaps: --fill works on files only, not with --db"],
    [["--db", "not a url"], "resilience: --db is not a URL; give postgres://user[:password]@host[:port]/dbname"],
  ])("one line on stderr and exit 2: %j", async (args, message) => {
    const { code, stdout, stderr } = await gaps(args);
    expect([code, stdout]).toEqual([2, ""]);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toStartWith(message);
    expect(stderr).not.toContain("s3cret");
    expect(stderr).not.toContain("    at ");
  });

  test("--help lists the database flags", async () => {
    const { code, stdout } = await gaps(["--help"]);
    expect(code).toBe(0);
    for (const flag of ["--db", "--db-table", "--market"]) expect(stdout).toContain(flag);
  });
});
