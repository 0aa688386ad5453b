import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSyncPool, type SyncPool } from "../../src/candles/sync-pool.ts";

/** Above the process's descriptor limit here (20,000), so never an open file. */
const NOT_AN_FD = 1_000_000;
const SRC = join(import.meta.dir, "../../src/candles/sync-pool.ts");

let dir: string;
let pool: SyncPool | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sync-pool-"));
});
afterEach(() => {
  pool?.close();
  pool = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function openFile(name: string): number {
  const fd = openSync(join(dir, name), "a");
  writeSync(fd, `${name}\n`);
  return fd;
}

describe("createSyncPool", () => {
  test("syncs files on its threads and counts what is pending", async () => {
    pool = createSyncPool({ threads: 2 });
    const fds = Array.from({ length: 20 }, (_, i) => openFile(`f${i}.csv`));
    const syncs = fds.map((fd) => pool!.sync(fd));
    expect(pool.pending).toBe(20);
    expect(await Promise.all(syncs)).toEqual(fds.map(() => undefined));
    expect(pool.pending).toBe(0);
    for (const fd of fds) closeSync(fd);
  });

  test("rejects with the errno error of fdatasync", async () => {
    pool = createSyncPool({ threads: 1 });
    const error = await pool.sync(NOT_AN_FD).catch((err: NodeJS.ErrnoException) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: "EBADF", errno: expect.any(Number), syscall: "fdatasync" });
    // The thread is still usable after a failure.
    const fd = openFile("after.csv");
    await pool.sync(fd);
    expect(pool.pending).toBe(0);
    closeSync(fd);
  });

  test("a read-only descriptor can be synced (what the writer gives the pool)", async () => {
    pool = createSyncPool({ threads: 1 });
    writeFileSync(join(dir, "ro.csv"), "x\n");
    const fd = openSync(join(dir, "ro.csv"), "r");
    await expect(pool.sync(fd)).resolves.toBeUndefined();
    closeSync(fd);
  });

  test("close() settles every sync posted, and rejects every later one", async () => {
    pool = createSyncPool({ threads: 1 });
    const fd = openFile("c.csv");
    const outcome = (sync: Promise<void>) =>
      sync.then(
        () => "synced",
        (err: NodeJS.ErrnoException) => String(err.code),
      );
    const posted = [outcome(pool.sync(fd)), outcome(pool.sync(fd))];
    pool.close();
    pool.close();
    // Done before the thread stopped, or failed once it had: each settles, and only then.
    for (const result of await Promise.all(posted)) expect(["synced", "ERR_SYNC_POOL_CLOSED"]).toContain(result);
    expect(pool.pending).toBe(0);
    expect(await outcome(pool.sync(fd))).toBe("ERR_SYNC_POOL_CLOSED");
    closeSync(fd);
  });

  test("refuses a thread count that is not a positive integer", () => {
    expect(() => createSyncPool({ threads: 0 })).toThrow(/positive integer/);
    expect(() => createSyncPool({ threads: 1.5 })).toThrow(/positive integer/);
  });

  test.each([
    ["idle, never closed", ""],
    ["closed with a sync queued", "pool.sync(fd).catch(() => {}); pool.sync(fd).catch(() => {}); pool.close();"],
  ])("the process exits with the pool %s", async (_, tail) => {
    const script = join(dir, "exit.ts");
    writeFileSync(
      script,
      `import { openSync } from "node:fs";
import { createSyncPool } from ${JSON.stringify(SRC)};
const pool = createSyncPool({ threads: 4 });
const fd = openSync(${JSON.stringify(join(dir, "e.csv"))}, "a");
await Promise.all([pool.sync(fd), pool.sync(fd), pool.sync(fd)]);
console.log("synced", pool.pending);
${tail}
`,
    );
    const started = performance.now();
    const child = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => child.kill(), 5000);
    const code = await child.exited;
    clearTimeout(timer);
    expect(await new Response(child.stdout).text()).toBe("synced 0\n");
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
