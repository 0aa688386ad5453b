import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir, hostname } from "node:os";
import { join } from "node:path";
import { createCandleWriter } from "../../src/candles/writer.ts";
import { BASIC_HEADER, FULL_HEADER } from "../../src/candles/csv.ts";
import { T0, candle } from "./writer-helpers.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "writer-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("createCandleWriter", () => {
  test("writes the header and rows verbatim, skipping duplicates and older rows", () => {
    const path = join(dir, "c.csv");
    const w = createCandleWriter({ path, columns: "basic" });
    expect(w.append(candle(0))).toBe("written");
    expect(w.append(candle(1, "0.00000912"))).toBe("written");
    expect(w.append(candle(1))).toBe("duplicate");
    expect(w.append(candle(0))).toBe("duplicate");
    w.close();
    expect(readFileSync(path, "utf8")).toBe(
      `${BASIC_HEADER}\n2024-01-01T00:00:00Z,42000.12345678,42100.00000000,0.00000001,42050.50000000,12.34567891\n` +
        `2024-01-01T01:00:00Z,0.00000912,42100.00000000,0.00000001,42050.50000000,12.34567891\n`,
    );
  });

  test("full columns add close time with ms, quote volume, trades and taker volumes", () => {
    const path = join(dir, "c.csv");
    const w = createCandleWriter({ path, columns: "full" });
    w.append(candle(0));
    w.close();
    expect(readFileSync(path, "utf8")).toBe(
      `${FULL_HEADER}\n2024-01-01T00:00:00Z,42000.12345678,42100.00000000,0.00000001,42050.50000000,12.34567891,2024-01-01T00:59:59.999Z,518000.1,1234,6.1,256000.9\n`,
    );
  });

  test("resumes after the last row of an existing file and cuts a torn last line", () => {
    const path = join(dir, "c.csv");
    writeFileSync(path, `${BASIC_HEADER}\n2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n2024-01-01T01:00:00Z,1,2,0.5,1.`);
    const w = createCandleWriter({ path, columns: "basic" });
    expect(w.repairs.tornText).toBe("2024-01-01T01:00:00Z,1,2,0.5,1.");
    expect(w.lastOpenTime).toBe(T0);
    expect(w.append(candle(1))).toBe("written");
    w.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]!.startsWith("2024-01-01T01:00:00Z,42000.12345678,")).toBe(true);
  });

  test("appends to a kstlib CSV (same header, CRLF tolerated)", () => {
    const path = join(dir, "c.csv");
    writeFileSync(path, `${BASIC_HEADER}\r\n2024-01-01T00:00:00Z,100500.00,100800.00,100200.00,100600.00,1234.50\r\n`);
    const w = createCandleWriter({ path, columns: "basic" });
    expect(w.lastOpenTime).toBe(T0);
    w.close();
  });

  test("refuses a file with another header, naming it", () => {
    const path = join(dir, "c.csv");
    writeFileSync(path, "a,b,c\n1,2,3\n");
    expect(() => createCandleWriter({ path, columns: "basic" })).toThrow(/does not start with the header/);
    expect(readFileSync(path, "utf8")).toBe("a,b,c\n1,2,3\n");
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  test("a live lock holder is refused; a dead one is taken over", () => {
    const path = join(dir, "c.csv");
    const first = createCandleWriter({ path, columns: "basic" });
    expect(() => createCandleWriter({ path, columns: "basic" })).toThrow(/already being written by this process/);
    first.close();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, hostname: hostname() }));
    expect(() => createCandleWriter({ path, columns: "basic" })).toThrow(new RegExp(`pid ${process.ppid}`));
    const dead = Bun.spawnSync(["true"]).pid;
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: dead, hostname: hostname() }));
    const second = createCandleWriter({ path, columns: "basic" });
    expect(second.repairs.staleLock?.pid).toBe(dead);
    expect(JSON.parse(readFileSync(`${path}.lock`, "utf8")).pid).toBe(process.pid);
    second.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

test("nothing is appended after close(), and the lock is gone", () => {
  const dir2 = mkdtempSync(join(tmpdir(), "writer-"));
  const path = join(dir2, "c.csv");
  const w = createCandleWriter({ path, columns: "basic" });
  w.append(candle(0));
  w.close();
  expect(w.append(candle(1))).toBe("closed");
  expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(2);
  expect(existsSync(`${path}.lock`)).toBe(false);
  rmSync(dir2, { recursive: true, force: true });
});
