import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASIC_HEADER, formatCandleRow } from "../../src/candles/csv.ts";
import { createCandleWriter } from "../../src/candles/writer.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { candle, createFlakyFs, rows } from "./writer-helpers.ts";

/** Longer than the longest retry delay, so every advance runs one retry at least. */
const RETRY_WAIT_MS = 20_000;

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "writer-damage-"));
  path = join(dir, "c.csv");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A writer on a flaky disk with a fake clock, recording its callbacks. */
function flakyWriter() {
  const clock = new FakeClock();
  const flaky = createFlakyFs();
  const events = { failing: [] as string[], damaged: [] as string[], recovered: 0 };
  const writer = createCandleWriter({
    path,
    columns: "basic",
    clock,
    fs: flaky.fs,
    onFailing: (error) => events.failing.push(error),
    onDamaged: (error) => events.damaged.push(error),
    onRecovered: () => events.recovered++,
  });
  return { clock, writer, events, ...flaky };
}

const read = () => readFileSync(path, "utf8");
const HEAD = `${BASIC_HEADER}\n`;

describe("a failed rollback", () => {
  test("a short write whose partial row cannot be cut: no row is glued onto it, none written is lost", async () => {
    const { clock, writer, events, fail } = flakyWriter();
    writer.append(candle(0));
    writer.append(candle(1));
    fail.write = "short";
    fail.truncate = true;
    expect(writer.append(candle(2))).toBe("held");
    expect(events.damaged).toHaveLength(1);
    expect(events.damaged[0]).toMatch(/short write .*cannot cut the file back/);
    expect(events.failing).toEqual([]);
    const partial = read();
    expect(partial.startsWith(HEAD + rows(0, 1))).toBe(true);
    expect(partial.length).toBeGreaterThan((HEAD + rows(0, 1)).length);

    fail.write = "ok"; // the disk takes writes again, but the partial row still cannot be cut
    expect(writer.append(candle(3))).toBe("held");
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(partial);
    expect(writer.damage).toMatch(/cannot cut/);

    fail.truncate = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 3));
    expect(events.recovered).toBe(1);
    expect(writer.damage).toBeUndefined();
    expect(writer.heldRows).toBe(0);

    // A later rollback cuts back to the right size: the rows written before stay.
    fail.write = "short";
    expect(writer.append(candle(4))).toBe("held");
    expect(read()).toBe(HEAD + rows(0, 3));
    fail.write = "ok";
    await clock.advance(RETRY_WAIT_MS);
    expect(writer.append(candle(5))).toBe("written");
    writer.close();
    expect(read()).toBe(HEAD + rows(0, 5));
    expect(events.damaged).toHaveLength(1);
  });

  test("while the partial row cannot be cut for several retries, rows are held in order and nothing is appended", async () => {
    const { clock, writer, events, fail, calls } = flakyWriter();
    writer.append(candle(0));
    fail.write = "short";
    fail.truncate = true;
    writer.append(candle(1));
    fail.write = "ok";
    const partial = read();
    const writesBefore = calls.write;
    for (let i = 2; i <= 7; i++) {
      expect(writer.append(candle(i))).toBe("held");
      await clock.advance(RETRY_WAIT_MS);
      expect(read()).toBe(partial);
    }
    expect(calls.write).toBe(writesBefore);
    expect(calls.truncate).toBeGreaterThanOrEqual(7);
    expect(writer.heldRows).toBe(7);
    expect(events.damaged).toHaveLength(1);
    expect(writer.append(candle(7))).toBe("duplicate");

    fail.truncate = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 7));
    expect(writer.heldRows).toBe(0);
    expect(events.recovered).toBe(1);
    writer.close();
  });

  test("a whole row left by a failed sync and an uncuttable file is cut on recovery, then written once", async () => {
    const { clock, writer, events, fail } = flakyWriter();
    writer.append(candle(0));
    fail.sync = true;
    fail.truncate = true;
    expect(writer.append(candle(1))).toBe("held");
    expect(read()).toBe(HEAD + rows(0, 1)); // on disk, but never synced: not counted
    expect(events.damaged[0]).toMatch(/EIO/);
    fail.sync = false;
    fail.truncate = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 1));
    expect(writer.heldRows).toBe(0);
    writer.append(candle(2));
    writer.close();
    expect(read()).toBe(HEAD + rows(0, 2));
  });

  test("an unknown file size after a failed write also stops appending until the tail checks out", async () => {
    const { clock, writer, events, fail } = flakyWriter();
    writer.append(candle(0));
    fail.write = "short";
    fail.fstat = true;
    expect(writer.append(candle(1))).toBe("held");
    expect(events.damaged[0]).toMatch(/cannot read the file size/);
    fail.write = "ok";
    fail.fstat = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 1));
    expect(events.recovered).toBe(1);
    writer.close();
  });

  test("a file cut shorter than the rows written is never written to, and is reported", async () => {
    const { clock, writer, events, fail } = flakyWriter();
    writer.append(candle(0));
    writer.append(candle(1));
    fail.write = "short";
    fail.truncate = true;
    writer.append(candle(2));
    fail.write = "ok";
    fail.truncate = false;
    const cut = (HEAD + rows(0, 1)).length - 10;
    truncateSync(path, cut);
    const before = read();
    for (let i = 0; i < 3; i++) await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(before);
    expect(readFileSync(path).length).toBe(cut);
    expect(events.damaged).toHaveLength(2);
    expect(events.damaged[1]).toMatch(/shorter than the \d+ bytes of rows already written/);
    expect(writer.damage).toMatch(/someone cut it/);
    expect(writer.append(candle(3))).toBe("held");
    expect(writer.heldRows).toBe(2);
    writer.close();
    expect(read()).toBe(before);
  });

  test("a file whose last written row changed is not appended to", async () => {
    const { clock, writer, events, fail } = flakyWriter();
    writer.append(candle(0));
    fail.write = "short";
    fail.truncate = true;
    writer.append(candle(1));
    fail.write = "ok";
    fail.truncate = false;
    const changed = HEAD + formatCandleRow(candle(0, "99999.99999999"), "basic");
    writeFileSync(path, changed);
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(changed);
    expect(events.damaged[1]).toMatch(/the last row written is no longer at byte \d+/);
    expect(events.recovered).toBe(0);
    writer.close();
  });
});

describe("a failing disk whose partial rows can be cut", () => {
  test("holds rows, alerts once, retries them in order and recovers", async () => {
    const { clock, writer, events, fail } = flakyWriter();
    writer.append(candle(0));
    fail.write = "short";
    expect(writer.append(candle(1))).toBe("held");
    expect(read()).toBe(HEAD + rows(0, 0));
    fail.write = "enospc";
    expect(writer.append(candle(2))).toBe("held");
    await clock.advance(RETRY_WAIT_MS);
    fail.write = "ok";
    fail.sync = true;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 0));
    expect(events.failing).toHaveLength(1);
    expect(events.failing[0]).toMatch(/short write/);
    expect(writer.heldRows).toBe(2);
    fail.sync = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 2));
    expect(events.recovered).toBe(1);
    expect(events.damaged).toEqual([]);
    expect(writer.append(candle(3))).toBe("written");
    writer.close();
    expect(read()).toBe(HEAD + rows(0, 3));
  });
});

test("a writer whose lock another process took over never appends again, and says so", async () => {
  const damaged: string[] = [];
  const writer = createCandleWriter({ path, columns: "basic", lockRefreshMs: 10, onDamaged: (error) => damaged.push(error) });
  try {
    expect(writer.append(candle(0))).toBe("written");
    writeFileSync(`${path}.lock`, `${JSON.stringify({ pid: 4_000_000, hostname: "another-host", started_at: new Date().toISOString() })}\n`);
    for (const end = Date.now() + 2000; damaged.length === 0 && Date.now() < end; ) await Bun.sleep(10);
    expect(damaged).toEqual([expect.stringContaining("was taken over by pid 4000000 on another-host; appending stopped for good")]);
    expect(writer.append(candle(1))).toBe("held");
    expect(readFileSync(path, "utf8")).toBe(`${BASIC_HEADER}\n${rows(0, 0)}`);
  } finally {
    writer.close();
  }
});
