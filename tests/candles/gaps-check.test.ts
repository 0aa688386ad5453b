import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { appendConflict } from "../../src/candles/conflict-log.ts";
import { renderGapsJson, renderGapsText } from "../../src/render/gaps-report.ts";
import { checkCandleFile, hasCheckFindings, hasFindings, resolveGapsOptions, type GapsOptions } from "../../src/candles/gaps-check.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { klineRow, startFakeKlinesRest } from "./fake-klines-rest.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/gaps");
const NOW = Date.UTC(2024, 0, 1, 9, 30);
const HEADER = "timestamp,open,high,low,close,volume";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gaps-check-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function options(restUrl: string, more: Partial<GapsOptions> = {}): GapsOptions {
  return { verify: false, fill: false, restUrl, clock: new FakeClock(NOW), ...more };
}

/** Our 1h basic row as the exchange's fake market has it. */
function exchangeRow(openTime: number): string {
  const k = klineRow("1h", openTime);
  return `${new Date(openTime).toISOString().slice(0, 19)}Z,${k[1]},${k[2]},${k[3]},${k[4]},${k[5]}`;
}

function place(fixture: string, name = fixture): string {
  const path = join(dir, name);
  copyFileSync(join(FIXTURES, fixture), path);
  return path;
}

describe("--verify", () => {
  test("a hole the exchange has candles for is lost", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    const { report } = await checkCandleFile(file, options(rest.url, { verify: true }));
    expect(report.gaps.map((g) => g.kind)).toEqual(["lost"]);
    expect(hasFindings(report)).toBe(true);
    // The hole, then the last row (05:00).
    const at = (h: number) => String(Date.UTC(2024, 0, 1, h));
    expect(rest.requests.map((q) => [q.get("startTime"), q.get("endTime")])).toEqual([[at(2), at(3)], [at(5), at(5)]]);
  });

  test("the last row is asked about: agreement, a mismatch (a finding), an in-progress candle, and the recorder's conflict log", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = join(dir, "candles_BTCUSDT_1h.csv");
    const rows = [6, 7, 8].map((h) => exchangeRow(Date.UTC(2024, 0, 1, h)));
    writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);
    let check = await checkCandleFile(file, options(rest.url, { verify: true }));
    expect(check.lastRow).toMatchObject({ time: Date.UTC(2024, 0, 1, 8), fields: [] });
    expect(hasCheckFindings(check)).toBe(false);
    expect(renderGapsText(check, { color: false })).toContain("  last row 2024-01-01T08:00:00Z: agrees with the exchange");

    const wrong = rows[2]!.replace(/,[^,]+,([^,]+)$/, ",1.5,$1");
    writeFileSync(file, `${HEADER}\n${rows[0]}\n${rows[1]}\n${wrong}\n`);
    check = await checkCandleFile(file, options(rest.url, { verify: true }));
    expect(check.lastRow?.fields).toEqual(["close"]);
    expect(hasCheckFindings(check)).toBe(true);
    expect(JSON.parse(renderGapsJson(check)).last_row).toMatchObject({ time: "2024-01-01T08:00:00Z", agrees: false, fields: ["close"], file_row: wrong });

    const open = exchangeRow(Date.UTC(2024, 0, 1, 9)); // 09:00 is still open at 09:30
    writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n${open}\n`);
    appendConflict(file, { detected_at: "2024-01-01T09:10:00.000Z", open_time: "2024-01-01T08:00:00Z", action: "replaced", fields: ["close"], file_row: wrong, exchange_row: rows[2]! });
    check = await checkCandleFile(file, options(rest.url, { verify: true }));
    expect(check.lastRow?.fields).toEqual(["in progress"]);
    const text = renderGapsText(check, { color: false });
    expect(text.some((l) => l.includes("mismatch (in progress)"))).toBe(true);
    expect(text.some((l) => l.includes("took 1 row out of this file") && l.includes("2024-01-01T08:00:00Z replaced (close)"))).toBe(true);
  });

  test("the 2023-03-24 halt: the exchange has no 13:00 candle, so it is not a loss", async () => {
    const halt = Date.UTC(2023, 2, 24, 13);
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW, missing: [halt] });
    const file = place("BTCUSDT-1h-2023-03-24.csv");
    const { report } = await checkCandleFile(file, options(rest.url, { verify: true }));
    expect(report.gaps).toEqual([expect.objectContaining({ firstMissing: halt, missing: 1, kind: "exchange" })]);
    expect(hasFindings(report)).toBe(false);
  });

  test("head and tail count only candles the exchange has (nothing before the listing)", async () => {
    const listedAt = Date.UTC(2023, 11, 31, 23);
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW, listedAt });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    const since = Date.UTC(2023, 11, 31, 20);
    const { report } = await checkCandleFile(file, options(rest.url, { verify: true, since, until: NOW }));
    expect([report.headMissing, report.tailMissing]).toEqual([1, 3]); // 23:00; 06:00..08:00 (09:00 is open)
  });

  test("an unknown symbol is one line, not a retry loop", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_NOPEUSDT_1h.csv");
    await expect(checkCandleFile(file, options(rest.url, { verify: true }))).rejects.toThrow("symbol NOPEUSDT does not exist");
  });

  test("needs a symbol from the name or --symbol", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv");
    await expect(checkCandleFile(file, options(rest.url, { verify: true, interval: "1h" }))).rejects.toThrow("give --symbol");
    const { report } = await checkCandleFile(file, options(rest.url, { verify: true, interval: "1h", symbol: "BTCUSDT" }));
    expect(report.gaps[0]!.kind).toBe("lost");
  });
});

describe("--fill", () => {
  test("writes the missing candles verbatim in place, keeps the original as .bak, and the file audits clean", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    const original = readFileSync(file, "utf8");
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    expect(check.repair).toEqual({ backup: `${file}.bak`, added: 2, dropped: 0, moved: 0 });
    expect(readFileSync(`${file}.bak`, "utf8")).toBe(original);
    const lines = original.trimEnd().split("\n");
    const expected = [...lines.slice(0, 3), exchangeRow(Date.UTC(2024, 0, 1, 2)), exchangeRow(Date.UTC(2024, 0, 1, 3)), ...lines.slice(3)];
    expect(readFileSync(file, "utf8")).toBe(expected.join("\n") + "\n");
    expect(exchangeRow(Date.UTC(2024, 0, 1, 2))).toContain(",0.00000912"); // never through a float
    expect(hasFindings(check.report)).toBe(false);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test("repairs a messy file: torn and glued, conflicting copy, late, misaligned and corrupt rows", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = join(dir, "candles_BTCUSDT_1h.csv");
    const at = (h: number) => Date.UTC(2024, 0, 1, h);
    const mine = (h: number, close = "100.50") => `${new Date(at(h)).toISOString().slice(0, 19)}Z,100.00,101.00,99.00,${close},12.35`;
    const messy = [
      HEADER,
      mine(0),
      mine(1),
      mine(3), // 02:00 is late (below)
      `${mine(4).slice(0, 30)}${mine(5)}`, // 04:00 torn, 05:00 glued onto it
      mine(2),
      mine(5, "100.70"), // a copy of 05:00 that disagrees
      "2024-01-01T05:30:00Z,1,2,0.5,1,1", // misaligned
      mine(6).replace("12.35", "-1"), // corrupt
      mine(7),
    ];
    writeFileSync(file, messy.join("\r\n") + "\r\n");
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    expect(check.repair).toMatchObject({ added: 3, moved: 1 }); // 04:00, 06:00 and the exchange's 05:00
    const repaired = readFileSync(file, "utf8").split("\r\n");
    expect(repaired).toEqual([HEADER, mine(0), mine(1), mine(2), mine(3), exchangeRow(at(4)), exchangeRow(at(5)), exchangeRow(at(6)), mine(7), ""]);
    expect(check.report).toMatchObject({ rows: 8, gaps: [], duplicates: [], outOfOrder: [], misaligned: [], corrupt: [] });
    expect(readFileSync(`${file}.bak`, "utf8")).toBe(messy.join("\r\n") + "\r\n");
  });

  test("keeps the header where a blank line came before it", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = join(dir, "candles_BTCUSDT_1h.csv");
    writeFileSync(file, `\n${HEADER}\n${exchangeRow(Date.UTC(2024, 0, 1, 0))}\n${exchangeRow(Date.UTC(2024, 0, 1, 2))}\n`);
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    expect(readFileSync(file, "utf8")).toBe([HEADER, ...[0, 1, 2].map((h) => exchangeRow(Date.UTC(2024, 0, 1, h))), ""].join("\n"));
    expect(hasFindings(check.report)).toBe(false);
  });

  test("fetches again the candle of a torn last row (the seed's crash)", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("torn-tail-1h.csv", "candles_BTCUSDT_1h.csv");
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    const original = readFileSync(join(FIXTURES, "torn-tail-1h.csv"), "utf8").split("\n");
    expect(readFileSync(file, "utf8")).toBe([...original.slice(0, 3), exchangeRow(Date.UTC(2024, 0, 1, 2)), ""].join("\n"));
    expect(check.report).toMatchObject({ rows: 3, corrupt: [] });
  });

  test("leaves the file alone when the exchange has nothing to fill (the halt)", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW, missing: [Date.UTC(2023, 2, 24, 13)] });
    const file = place("BTCUSDT-1h-2023-03-24.csv");
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    expect(check.repair).toBeNull();
    expect(existsSync(`${file}.bak`)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(readFileSync(join(FIXTURES, "BTCUSDT-1h-2023-03-24.csv"), "utf8"));
    expect(hasFindings(check.report)).toBe(false);
  });

  test("writes dump rows in microseconds into a microsecond dump", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1m", now: Date.UTC(2025, 0, 2) });
    const file = place("BTCUSDT-1m-2025-01-01.csv");
    const check = await checkCandleFile(file, options(rest.url, { fill: true, clock: new FakeClock(Date.UTC(2025, 0, 2)) }));
    const t = Date.UTC(2025, 0, 1, 0, 4);
    const k = klineRow("1m", t);
    const row = [`${t}000`, k[1], k[2], k[3], k[4], k[5], `${k[6]}999`, k[7], k[8], k[9], k[10], "0"].join(",");
    expect(readFileSync(file, "utf8").split("\n")[4]).toBe(row);
    expect(hasFindings(check.report)).toBe(false);
  });

  test("writes the full columns into a full-format file, replacing a corrupt row", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("full-1h.csv", "candles_BTCUSDT_1h.csv");
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    const k = klineRow("1h", Date.UTC(2024, 0, 1, 2));
    expect(readFileSync(file, "utf8").split("\n")[3]).toBe(`2024-01-01T02:00:00Z,${k[1]},${k[2]},${k[3]},${k[4]},${k[5]},2024-01-01T02:59:59.999Z,${k[7]},${k[8]},${k[9]},${k[10]}`);
    expect(check.report).toMatchObject({ rows: 4, corrupt: [], gaps: [] });
  });

  test("fills the tail up to the last closed candle with --until now", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    const check = await checkCandleFile(file, options(rest.url, { fill: true, until: NOW }));
    expect(check.report).toMatchObject({ rows: 9, last: Date.UTC(2024, 0, 1, 8), tailMissing: 0, gaps: [] });
    expect(hasFindings(check.report)).toBe(false);
  });

  test("a second repair keeps the first backup", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    await checkCandleFile(file, options(rest.url, { fill: true }));
    writeFileSync(file, readFileSync(file, "utf8") + "2024-01-01T07:00:00Z,1,2,0.5,1,1\n");
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    expect(check.repair?.backup).toBe(`${file}.bak.1`);
    expect(readFileSync(`${file}.bak`, "utf8")).toBe(readFileSync(join(FIXTURES, "gap-1h.csv"), "utf8"));
  });

  test("is refused while a live recorder holds the file's lock, naming its pid", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    const recorder = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(`${file}.lock`, JSON.stringify({ pid: recorder.pid, hostname: hostname() }));
      await expect(checkCandleFile(file, options(rest.url, { fill: true }))).rejects.toThrow(`pid ${recorder.pid}`);
      expect(readFileSync(file, "utf8")).toBe(readFileSync(join(FIXTURES, "gap-1h.csv"), "utf8"));
      expect(rest.requests).toHaveLength(0);
      expect(existsSync(`${file}.bak`)).toBe(false);
    } finally {
      recorder.kill();
    }
  });

  test("takes over a stale lock (dead pid) and removes it afterwards", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv", "candles_BTCUSDT_1h.csv");
    const dead = Bun.spawn(["true"]);
    await dead.exited;
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead.pid, hostname: hostname() }));
    const check = await checkCandleFile(file, options(rest.url, { fill: true }));
    expect(check.repair?.added).toBe(2);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  test("wants the interval from the name or --interval, not a guess", async () => {
    using rest = startFakeKlinesRest({ symbol: "BTCUSDT", interval: "1h", now: NOW });
    const file = place("gap-1h.csv");
    await expect(checkCandleFile(file, options(rest.url, { fill: true, symbol: "BTCUSDT" }))).rejects.toThrow("give --interval to fill it");
  });
});

describe("resolveGapsOptions", () => {
  const clock = new FakeClock(NOW);
  test.each([
    [{ interval: "2h" }, { interval: "2h" }],
    [{ symbol: "btcusdt" }, { symbol: "BTCUSDT" }],
    [{ since: "2024-01-01", until: "now" }, { since: Date.UTC(2024, 0, 1), until: NOW }],
    [{ until: "1704067200000" }, { until: Date.UTC(2024, 0, 1) }],
    [{}, { restUrl: undefined, verify: false, fill: false }],
  ])("reads %j", (args, expected) => {
    expect(resolveGapsOptions(args, clock)).toMatchObject(expected);
  });

  test.each([
    [{ interval: "2x" }, '--interval: "2x" is not a Binance interval'],
    [{ symbol: "BTC/USDT" }, "--symbol"],
    [{ since: "yesterday" }, "--since"],
    [{ since: "2024-02-01", until: "2024-01-01" }, "--since is after --until"],
    [{ restUrl: "ftp://example.com" }, "--rest-url"],
  ])("refuses %j", (args, message) => {
    expect(() => resolveGapsOptions(args, clock)).toThrow(message);
  });
});
