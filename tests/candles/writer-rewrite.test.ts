import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASIC_HEADER, formatCandleRow } from "../../src/candles/csv.ts";
import { createCandleWriter } from "../../src/candles/writer.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { H, T0, candle, createFlakyFs, rows } from "./writer-helpers.ts";

const RETRY_WAIT_MS = 20_000;
const HEAD = `${BASIC_HEADER}\n`;
const row = (i: number, price?: string) => formatCandleRow(candle(i, price), "basic");

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "writer-rewrite-"));
  path = join(dir, "c.csv");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = () => readFileSync(path, "utf8");

describe("tailRows", () => {
  test.each([
    ["a new file", undefined, []],
    ["a header only", HEAD, []],
    ["one row", HEAD + rows(0, 0), [row(0).trimEnd()]],
    ["three rows", HEAD + rows(0, 2), [row(1).trimEnd(), row(2).trimEnd()]],
    ["CRLF rows and a blank line", `${BASIC_HEADER}\r\n${row(0).trimEnd()}\r\n${row(1).trimEnd()}\r\n\r\n`, [row(0).trimEnd(), row(1).trimEnd()]],
  ])("%s", (_name, content, expected) => {
    if (content !== undefined) writeFileSync(path, content);
    const w = createCandleWriter({ path, columns: "basic" });
    expect(w.tailRows).toEqual(expected);
    w.close();
  });
});

describe("rewriteLastRow", () => {
  test("replaces the newest row, and later rows land after it", () => {
    const w = createCandleWriter({ path, columns: "basic" });
    w.append(candle(0));
    w.append(candle(1));
    expect(w.rewriteLastRow(candle(1, "7.5"))).toBe(true);
    expect(read()).toBe(HEAD + row(0) + row(1, "7.5"));
    expect(w.lastOpenTime).toBe(T0 + H);
    expect(w.rewriteLastRow(candle(1, "8.5"))).toBe(true);
    expect(w.append(candle(2))).toBe("written");
    w.close();
    expect(read()).toBe(HEAD + row(0) + row(1, "8.5") + row(2));
  });

  test("removes the newest row of an opened file: it ends at the row before, whose open time is the last", () => {
    writeFileSync(path, HEAD + rows(0, 2));
    const w = createCandleWriter({ path, columns: "basic" });
    expect(w.rewriteLastRow(undefined)).toBe(true);
    expect(read()).toBe(HEAD + rows(0, 1));
    expect(w.lastOpenTime).toBe(T0 + H);
    expect(w.tailRows).toEqual([row(1).trimEnd(), row(2).trimEnd()]);
    expect(w.append(candle(2, "3.25"))).toBe("written");
    w.close();
    expect(read()).toBe(HEAD + rows(0, 1) + row(2, "3.25"));
  });

  test("removes rows down to the header only, then appends from there", () => {
    writeFileSync(path, `${BASIC_HEADER}\r\n${row(0).trimEnd()}\r\n`);
    const w = createCandleWriter({ path, columns: "basic" });
    w.append(candle(1));
    expect(w.rewriteLastRow(undefined)).toBe(true);
    expect(w.lastOpenTime).toBe(T0);
    expect(w.rewriteLastRow(undefined)).toBe(true);
    expect(read()).toBe(`${BASIC_HEADER}\r\n`);
    expect(w.lastOpenTime).toBeUndefined();
    expect(w.rewriteLastRow(undefined)).toBe(false);
    expect(w.rewriteLastRow(candle(0))).toBe(false);
    expect(w.append(candle(0))).toBe("written");
    w.close();
    expect(read()).toBe(`${BASIC_HEADER}\r\n${row(0)}`);
  });

  test("refuses while rows are held, or a replacement not newer than the row before", async () => {
    const clock = new FakeClock();
    const { fail, fs } = createFlakyFs();
    const w = createCandleWriter({ path, columns: "basic", clock, fs });
    w.append(candle(0));
    w.append(candle(1));
    expect(w.rewriteLastRow(candle(0))).toBe(false);
    fail.write = "enospc";
    w.append(candle(2));
    expect(w.rewriteLastRow(candle(2, "1"))).toBe(false);
    expect(w.rewriteLastRow(undefined)).toBe(false);
    expect(w.lastOpenTime).toBe(T0 + 2 * H);
    fail.write = "ok";
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 2));
    w.close();
  });

  test("a removal the disk refuses stops appending until it is done", async () => {
    const clock = new FakeClock();
    const { fail, fs } = createFlakyFs();
    const damaged: string[] = [];
    const w = createCandleWriter({ path, columns: "basic", clock, fs, onDamaged: (e) => damaged.push(e) });
    w.append(candle(0));
    w.append(candle(1));
    fail.truncate = true;
    expect(w.rewriteLastRow(candle(1, "2.5"))).toBe(true);
    expect(w.heldRows).toBe(1);
    expect(damaged[0]).toMatch(/cannot remove the last row/);
    expect(read()).toBe(HEAD + rows(0, 1));
    fail.truncate = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + row(0) + row(1, "2.5"));
    w.close();
  });

  test("after a removal, a failed rollback is checked against the row before", async () => {
    const clock = new FakeClock();
    const { fail, fs } = createFlakyFs();
    const w = createCandleWriter({ path, columns: "basic", clock, fs });
    w.append(candle(0));
    w.append(candle(1));
    w.rewriteLastRow(undefined);
    fail.write = "short";
    fail.truncate = true;
    expect(w.append(candle(1, "4"))).toBe("held");
    fail.write = "ok";
    fail.truncate = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(w.damage).toBeUndefined();
    w.close();
    expect(read()).toBe(HEAD + row(0) + row(1, "4"));
  });
});
