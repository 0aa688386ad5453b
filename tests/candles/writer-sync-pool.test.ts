import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { fstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASIC_HEADER } from "../../src/candles/csv.ts";
import { createSyncPool, type SyncPool } from "../../src/candles/sync-pool.ts";
import { createCandleWriter, type CandleWriterOptions } from "../../src/candles/writer.ts";
import { NODE_FS } from "../../src/candles/writer-file.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { candle, createFlakyFs, rows } from "./writer-helpers.ts";

/** Longer than the longest retry delay, so every advance runs one retry at least. */
const RETRY_WAIT_MS = 20_000;
const HEAD = `${BASIC_HEADER}\n`;
const SRC = join(import.meta.dir, "../../src");

const realPool = createSyncPool({ threads: 4 });
afterAll(() => realPool.close());

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "writer-pool-"));
  path = join(dir, "c.csv");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (p = path) => readFileSync(p, "utf8");

/** The real pool, with syncs that can be made to fail or wait; records the fds it was given. */
function controlledPool() {
  const control = { fail: false, hold: false, fds: [] as number[], released: [] as (() => void)[] };
  const pool: SyncPool = {
    sync(fd) {
      control.fds.push(fd);
      if (control.fail) return Promise.reject(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
      if (!control.hold) return realPool.sync(fd);
      return new Promise<void>((resolve, reject) => control.released.push(() => realPool.sync(fd).then(resolve, reject)));
    },
    close() {},
    get pending() {
      return control.released.length;
    },
  };
  return { pool, control };
}

function pooledWriter(pool: SyncPool, extra: Partial<CandleWriterOptions> = {}) {
  const events = { synced: [] as number[], damaged: [] as string[], failing: [] as string[], recovered: 0 };
  const writer = createCandleWriter({
    path,
    columns: "basic",
    syncPool: pool,
    onSynced: (openTime) => events.synced.push(openTime),
    onDamaged: (error) => events.damaged.push(error),
    onFailing: (error) => events.failing.push(error),
    onRecovered: () => events.recovered++,
    ...extra,
  });
  return { writer, events };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 3000; !check(); await Bun.sleep(2)) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
  }
}

test("without a pool, each row is synced inline before append returns, and reported", () => {
  const synced: number[] = [];
  const writer = createCandleWriter({ path, columns: "basic", onSynced: (openTime) => synced.push(openTime) });
  writer.append(candle(0));
  expect(writer.syncedRows).toBe(1);
  expect(synced).toEqual([candle(0).openTime]);
  writer.append(candle(1));
  expect(synced).toEqual([candle(0).openTime, candle(1).openTime]);
  expect(writer.lastSyncAt).toBeNumber();
  writer.close();
  expect(writer.syncedRows).toBe(2);
});

describe("a writer with a sync pool", () => {
  test("writes each row at once, and one sync at a time covers every row written before it", async () => {
    const { pool, control } = controlledPool();
    const { writer, events } = pooledWriter(pool);
    for (let i = 0; i < 10; i++) expect(writer.append(candle(i))).toBe("written");
    expect(read()).toBe(HEAD + rows(0, 9));
    expect(writer.syncedRows).toBe(0);
    expect(writer.lastSyncAt).toBeUndefined();
    await until(() => writer.syncedRows === 10, "all rows are synced");
    expect(control.fds).toHaveLength(2); // the first row's sync, then one for the nine written meanwhile
    expect(events.synced).toEqual([candle(0).openTime, candle(9).openTime]);
    expect(writer.lastSyncAt).toBeNumber();
    writer.close();
    expect(read()).toBe(HEAD + rows(0, 9));
  });

  test("gives the pool its own descriptor of the file, not the writer's", async () => {
    const { pool, control } = controlledPool();
    const { writer } = pooledWriter(pool);
    writer.append(candle(0));
    await until(() => writer.syncedRows === 1, "the row is synced");
    const synced = fstatSync(control.fds[0]!);
    const file = statSync(path);
    expect([synced.dev, synced.ino]).toEqual([file.dev, file.ino]);
    writer.close();
    expect(() => fstatSync(control.fds[0]!)).toThrow(/EBADF/);
  });

  test("many writers share one pool", async () => {
    const writers = Array.from({ length: 40 }, (_, i) => createCandleWriter({ path: join(dir, `s${i}.csv`), columns: "basic", syncPool: realPool }));
    for (let row = 0; row < 3; row++) for (const w of writers) expect(w.append(candle(row))).toBe("written");
    await until(() => writers.every((w) => w.syncedRows === 3), "every writer's rows are synced");
    expect(realPool.pending).toBe(0);
    for (const w of writers) w.close();
    for (let i = 0; i < writers.length; i++) expect(read(join(dir, `s${i}.csv`))).toBe(HEAD + rows(0, 2));
  });

  test("a failed sync holds the rows since the last good one, and writes them again once the tail checks out", async () => {
    const { pool, control } = controlledPool();
    const clock = new FakeClock();
    const { writer, events } = pooledWriter(pool, { clock });
    writer.append(candle(0));
    await until(() => writer.syncedRows === 1, "row 0 is synced");
    control.fail = true;
    expect(writer.append(candle(1))).toBe("written");
    expect(writer.append(candle(2))).toBe("written");
    await until(() => events.damaged.length > 0, "the writer reports damage");
    expect(events.damaged).toEqual([expect.stringMatching(/fdatasync failed \(EIO.*the 2 rows written since the last good sync may not be on disk/)]);
    expect(writer.damage).toMatch(/fdatasync failed/);
    expect(writer.heldRows).toBe(2);
    expect(writer.append(candle(3))).toBe("held");
    expect(read()).toBe(HEAD + rows(0, 2)); // nothing appended while damaged
    expect(writer.syncedRows).toBe(1);

    control.fail = false;
    await clock.advance(RETRY_WAIT_MS);
    expect(read()).toBe(HEAD + rows(0, 3)); // cut back to row 0, then rows 1 to 3 again: each once
    expect(writer.heldRows).toBe(0);
    expect(writer.damage).toBeUndefined();
    expect(events.recovered).toBe(1);
    await until(() => writer.syncedRows === 4, "the rows written again are synced");
    expect(events.synced.at(-1)).toBe(candle(3).openTime);
    expect(writer.append(candle(4))).toBe("written");
    writer.close();
    expect(read()).toBe(HEAD + rows(0, 4));
    expect(events.damaged).toHaveLength(1);
  });

  test("a failed sync after the file was cut below the last synced row reports the loss and appends nothing", async () => {
    const { pool, control } = controlledPool();
    const clock = new FakeClock();
    const { writer, events } = pooledWriter(pool, { clock });
    writer.append(candle(0));
    await until(() => writer.syncedRows === 1, "row 0 is synced");
    control.fail = true;
    writer.append(candle(1));
    await until(() => events.damaged.length > 0, "the writer reports damage");
    control.fail = false;
    writeFileSync(path, HEAD);
    await clock.advance(RETRY_WAIT_MS);
    expect(events.damaged[1]).toMatch(/shorter than the \d+ bytes of rows already written/);
    expect(read()).toBe(HEAD);
    expect(writer.heldRows).toBe(1);
    writer.close();
    expect(read()).toBe(HEAD);
  });

  test("close() with a sync in flight syncs inline, leaves every row, and closes the pool's descriptor only after that sync", async () => {
    const { pool, control } = controlledPool();
    const closed: number[] = [];
    control.hold = true;
    const { writer, events } = pooledWriter(pool, { fs: { closeSync: (fd) => (closed.push(fd), NODE_FS.closeSync(fd)) } });
    for (let i = 0; i < 5; i++) writer.append(candle(i));
    expect(control.fds).toHaveLength(1);
    expect(() => writer.close()).not.toThrow();
    expect(read()).toBe(HEAD + rows(0, 4));
    expect(writer.syncedRows).toBe(5);
    expect(events.synced).toEqual([candle(4).openTime]);
    const syncFd = control.fds[0]!;
    expect(closed).not.toContain(syncFd);
    control.released.shift()!();
    await until(() => closed.includes(syncFd), "the pool's descriptor is closed");
    expect(events.damaged).toEqual([]);
    expect(writer.syncedRows).toBe(5);
  });

  test("close() whose final fdatasync fails says so and does not throw", () => {
    const { pool, control } = controlledPool();
    control.hold = true;
    const flaky = createFlakyFs();
    const { writer, events } = pooledWriter(pool, { fs: flaky.fs });
    writer.append(candle(0));
    flaky.fail.sync = true;
    expect(() => writer.close()).not.toThrow();
    expect(events.damaged).toEqual([expect.stringMatching(/final fdatasync .* failed \(EIO/)]);
    expect(writer.syncedRows).toBe(0);
    expect(read()).toBe(HEAD + rows(0, 0));
    control.released.shift()!();
  });

  test("rewriteLastRow waits until no sync is owed", async () => {
    const { pool, control } = controlledPool();
    control.hold = true;
    const { writer } = pooledWriter(pool);
    writer.append(candle(0));
    writer.append(candle(1));
    expect(writer.rewriteLastRow(candle(1, "1.00000000"))).toBe(false);
    control.hold = false;
    control.released.shift()!();
    await until(() => writer.syncedRows === 2, "both rows are synced");
    expect(writer.rewriteLastRow(candle(1, "1.00000000"))).toBe(true);
    await until(() => writer.syncedRows === 3, "the new row is synced");
    writer.close();
    expect(read()).toBe(HEAD + rows(0, 0) + rows(1, 1).replace("42000.12345678", "1.00000000"));
  });

  test("the process exits with writers closed and the pool idle, never closed", async () => {
    const script = join(dir, "exit.ts");
    writeFileSync(
      script,
      `import { createSyncPool } from ${JSON.stringify(join(SRC, "candles/sync-pool.ts"))};
import { createCandleWriter } from ${JSON.stringify(join(SRC, "candles/writer.ts"))};
const pool = createSyncPool();
const writers = [0, 1, 2].map((i) => createCandleWriter({ path: ${JSON.stringify(dir)} + "/e" + i + ".csv", columns: "basic", syncPool: pool }));
const candle = { symbol: "X", interval: "1m", openTime: 0, closeTime: 59_999, open: "1", high: "1", low: "1", close: "1", volume: "1", quoteVolume: "1", trades: 1, takerBuyBase: "1", takerBuyQuote: "1" };
for (const w of writers) w.append(candle);
while (writers.some((w) => w.syncedRows < 1)) await Bun.sleep(1);
for (const w of writers) w.close();
console.log("synced", pool.pending);
`,
    );
    const child = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "inherit" });
    const timer = setTimeout(() => child.kill(), 5000);
    const code = await child.exited;
    clearTimeout(timer);
    expect(await new Response(child.stdout).text()).toBe("synced 0\n");
    expect(code).toBe(0);
  });
});
