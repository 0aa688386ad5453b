import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLock, type LockInfo } from "../../src/candles/lock.ts";
import { currentBootId, currentPidNamespace, readProcStat } from "../../src/candles/process-identity.ts";

const LOCK_MODULE = new URL("../../src/candles/lock.ts", import.meta.url).pathname;

let dir: string;
let csv: string;
let lockPath: string;
const children: Bun.Subprocess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lock-"));
  csv = join(dir, "candles_BTCUSDT_1m.csv");
  lockPath = `${csv}.lock`;
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A real process that stays alive for the test (a recorder we must not disturb). */
function liveProcess(): number {
  const child = Bun.spawn(["sleep", "30"]);
  children.push(child);
  return child.pid;
}

async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

/** The lock `pid` would write: its real start time, this machine's boot id and our pid namespace. */
function identityOf(pid: number, more: Record<string, unknown> = {}) {
  const startTime = readProcStat(pid)?.startTime;
  if (startTime === undefined) throw new Error(`no /proc/${pid}/stat`);
  return { pid, hostname: hostname(), started_at: new Date().toISOString(), boot_id: currentBootId(), pid_ns: currentPidNamespace(), start_time: startTime, ...more };
}

/** Another boot's id: a reboot, or another host. */
const OTHER_BOOT = "00000000-0000-4000-8000-000000000000";

/** Dates the lock's last refresh (its mtime) `ms` ago. */
function refreshedAgo(ms: number): void {
  const at = new Date(Date.now() - ms);
  utimesSync(lockPath, at, at);
}

const lockAgeMs = () => Date.now() - statSync(lockPath).mtimeMs;

function writeLock(info: object): string {
  const text = JSON.stringify(info) + "\n";
  writeFileSync(lockPath, text);
  return text;
}

const readLock = () => JSON.parse(readFileSync(lockPath, "utf8"));

/** Each race: 8 processes, 10 rounds 50 ms apart, every lock won held until all rounds are over. */
const RACERS = 8;
const ROUNDS = 10;
const RACE_TIMEOUT_MS = 20_000;

/**
 * Starts RACERS processes that, in each round, call acquireLock on that round's CSV at the
 * same instant; answers, per round, the outcomes: "won" or "lost <message>".
 */
async function race(csvs: string[]): Promise<string[][]> {
  const script = `
    const { acquireLock } = await import(process.env.LOCK_MODULE);
    const csvs = JSON.parse(process.env.LOCK_CSVS);
    const startAt = Number(process.env.START_AT);
    const outcomes = [], held = [];
    for (const [round, csv] of csvs.entries()) {
      while (Date.now() < startAt + round * 50) {}
      try { held.push(acquireLock(csv)); outcomes.push("won"); } catch (err) { outcomes.push("lost " + err.message); }
    }
    await Bun.sleep(1000);
    for (const lock of held) lock.release();
    console.log(JSON.stringify(outcomes));
  `;
  const env = { ...process.env, LOCK_MODULE, LOCK_CSVS: JSON.stringify(csvs), START_AT: String(Date.now() + 1500) };
  const procs = Array.from({ length: RACERS }, () => Bun.spawn([process.execPath, "-e", script], { env, stdout: "pipe", stderr: "inherit" }));
  const perProcess: string[][] = await Promise.all(procs.map(async (p) => JSON.parse(await new Response(p.stdout).text())));
  return csvs.map((_, round) => perProcess.map((outcomes) => outcomes[round] ?? "missing"));
}

function expectOneWinnerPerRound(rounds: string[][]): void {
  for (const outcomes of rounds) {
    expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "won").every((o) => o.startsWith("lost") && o.includes("stop that recorder first"))).toBe(true);
  }
}

const roundCsvs = () => Array.from({ length: ROUNDS }, (_, i) => join(dir, `candles_BTCUSDT_${i}m.csv`));

describe("acquireLock", () => {
  test("writes pid, host name, start time, boot id and pid namespace, and removes the lock on release", () => {
    const lock = acquireLock(csv);
    expect(readLock()).toEqual({
      pid: process.pid,
      hostname: hostname(),
      started_at: expect.any(String),
      boot_id: currentBootId(),
      pid_ns: expect.stringMatching(/^pid:\[\d+\]$/),
      start_time: readProcStat(process.pid)?.startTime,
    });
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("never overwrites a lock that a live process created first", () => {
    const pid = liveProcess();
    const text = writeLock(identityOf(pid));
    expect(() => acquireLock(csv)).toThrow(`${csv} is being recorded by pid ${pid} on ${hostname()} (lock ${lockPath}); stop that recorder first`);
    expect(readFileSync(lockPath, "utf8")).toBe(text);
  });

  test("of several processes racing for a free lock, exactly one wins", async () => {
    expectOneWinnerPerRound(await race(roundCsvs()));
    expect(readdirSync(dir)).toEqual([]);
  }, RACE_TIMEOUT_MS);

  test("of several processes taking over one stale lock at once, exactly one wins", async () => {
    const csvs = roundCsvs();
    const dead = await deadPid();
    for (const path of csvs) writeFileSync(`${path}.lock`, JSON.stringify(identityOf(process.pid, { pid: dead })));
    expectOneWinnerPerRound(await race(csvs));
    expect(readdirSync(dir)).toEqual([]);
  }, RACE_TIMEOUT_MS);

  test("a live pid that started at another time is a reused pid: its lock is taken over", () => {
    const pid = liveProcess();
    const stale = identityOf(pid);
    writeLock({ ...stale, start_time: stale.start_time - 1 });
    const lock = acquireLock(csv);
    expect(lock.takenOver?.pid).toBe(pid);
    expect(readLock()).toMatchObject({ pid: process.pid, start_time: readProcStat(process.pid)?.startTime });
    lock.release();
  });

  test("a lock of an earlier process with our pid (pid 1 in a container, say) is taken over", () => {
    const earlier = identityOf(process.pid);
    writeLock({ ...earlier, start_time: earlier.start_time - 1 });
    const lock = acquireLock(csv);
    expect(lock.takenOver?.start_time).toBe(earlier.start_time - 1);
    expect(readLock().start_time).toBe(earlier.start_time);
    lock.release();
  });

  test("a lock from another boot of this host is stale, though its pid runs now", () => {
    const pid = liveProcess();
    writeLock(identityOf(pid, { boot_id: OTHER_BOOT }));
    const lock = acquireLock(csv);
    expect(lock.takenOver?.pid).toBe(pid);
    lock.release();
  });

  test("a lock under another host name but from this boot and pid namespace is judged by its pid", async () => {
    const pid = liveProcess();
    writeLock(identityOf(pid, { hostname: "old-container" }));
    expect(() => acquireLock(csv)).toThrow(`pid ${pid} on old-container (lock`);
    const dead = await deadPid();
    writeLock(identityOf(pid, { pid: dead, hostname: "old-container" }));
    const lock = acquireLock(csv);
    expect(lock.takenOver).toMatchObject({ pid: dead, hostname: "old-container" });
    lock.release();
  });

  test("a lock from another pid namespace of this boot is refused while refreshed, though its pid is ours", () => {
    // Two live containers on one machine, sharing the volume: the other one's pid 1 is not our pid 1.
    const text = writeLock(identityOf(process.pid, { pid_ns: "pid:[1]", start_time: 1 }));
    expect(() => acquireLock(csv)).toThrow(
      `is being recorded by pid ${process.pid} on ${hostname()}, another container on this machine whose processes cannot be checked from here (lock ${lockPath}, refreshed 0 s ago); ` +
        `stop that recorder first. Its holder refreshes the lock every 10 s; once not refreshed for 60 s it is taken over automatically, or if you are sure that recorder is gone, rm ${lockPath}`,
    );
    expect(readFileSync(lockPath, "utf8")).toBe(text);
    refreshedAgo(2 * 60_000);
    const lock = acquireLock(csv);
    expect(lock.takenOver).toMatchObject({ pid: process.pid, pid_ns: "pid:[1]", start_time: 1 });
    expect(readLock().pid_ns).toBe(currentPidNamespace());
    lock.release();
  });

  /** Real containers' pid namespaces, where unshare(1) may make them (root, or user namespaces). */
  const canUnshare = Bun.spawnSync(["unshare", "-Urpf", "--mount-proc", "true"], { stderr: "ignore" }).exitCode === 0;
  const underCi = process.env.CI === "true" || process.env.CI === "1";
  if (!canUnshare) console.warn(`SKIPPED: unshare -Urpf is not allowed here, so the two-pid-namespace lock test ${underCi ? "fails (CI)" : "is skipped"}`);

  // Under CI it runs (and fails where unshare is missing: .ci/run installs util-linux and runs as root).
  test.skipIf(!canUnshare && !underCi)("a recorder that is pid 1 of its own pid namespace is refused another one's lock", async () => {
    const inNamespace = (script: string) =>
      Bun.spawn(["unshare", "-Urpf", "--mount-proc", process.execPath, "-e", `const { acquireLock } = await import(process.env.LOCK_MODULE); ${script}`], {
        env: { ...process.env, LOCK_MODULE, LOCK_CSV: csv },
        stdout: "pipe",
        stderr: "inherit",
      });
    const first = inNamespace(`const lock = acquireLock(process.env.LOCK_CSV); console.log(process.pid); await Bun.sleep(3000); lock.release();`);
    children.push(first);
    const reader = first.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value).trim()).toBe("1");
    const second = inNamespace(`try { acquireLock(process.env.LOCK_CSV); console.log("won"); } catch (err) { console.log(err.message); }`);
    expect(await new Response(second.stdout).text()).toContain("is being recorded by pid 1 on");
    expect(readLock().pid).toBe(1);
  });

  test("a lock of the version before pid_ns, under another host name on this boot, is judged by its lease", async () => {
    const text = writeLock(identityOf(process.pid, { pid: await deadPid(), hostname: "old-container", pid_ns: undefined }));
    expect(() => acquireLock(csv)).toThrow("on old-container, another container on this machine");
    expect(readFileSync(lockPath, "utf8")).toBe(text);
    refreshedAgo(2 * 60_000);
    const lock = acquireLock(csv);
    expect(lock.takenOver?.hostname).toBe("old-container");
    lock.release();
  });

  test("a lock from another host and another boot is refused while refreshed, and taken over once its lease ran out", async () => {
    const text = writeLock(identityOf(process.pid, { pid: await deadPid(), hostname: "far-away", boot_id: OTHER_BOOT, pid_ns: "pid:[1]" }));
    refreshedAgo(50_000);
    expect(() => acquireLock(csv)).toThrow(`on far-away, another host whose processes cannot be checked from here (lock ${lockPath}, refreshed 50 s ago)`);
    expect(readFileSync(lockPath, "utf8")).toBe(text);
    refreshedAgo(61_000);
    const lock = acquireLock(csv);
    expect(lock.takenOver).toMatchObject({ hostname: "far-away", boot_id: OTHER_BOOT });
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("the holder keeps refreshing its lock's mtime, and stops when released", async () => {
    const lock = acquireLock(csv, { refreshMs: 20 });
    refreshedAgo(2 * 60_000);
    await Bun.sleep(200);
    expect(lockAgeMs()).toBeLessThan(5_000);
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  test("a holder whose lock was taken over is told once, and stops refreshing it", async () => {
    const lost: (LockInfo | undefined)[] = [];
    const lock = acquireLock(csv, { refreshMs: 20, onLost: (holder) => lost.push(holder) });
    const taker = { ...readLock(), hostname: "elsewhere", pid_ns: "pid:[1]" };
    const text = writeLock(taker);
    refreshedAgo(30_000);
    await Bun.sleep(200);
    expect(lost).toEqual([taker]);
    expect(lockAgeMs()).toBeGreaterThan(29_000);
    lock.release();
    expect(readFileSync(lockPath, "utf8")).toBe(text);
  });

  test("a held lock does not keep the process alive", async () => {
    const script = `const { acquireLock } = await import(process.env.LOCK_MODULE); acquireLock(process.env.LOCK_CSV);`;
    const child = Bun.spawn([process.execPath, "-e", script], { env: { ...process.env, LOCK_MODULE, LOCK_CSV: csv }, stderr: "inherit" });
    children.push(child);
    const exited = await Promise.race([child.exited, Bun.sleep(5_000).then(() => "still running")]);
    expect(exited).toBe(0);
  });

  test("release leaves a lock that another process took over", () => {
    const lock = acquireLock(csv);
    // Another host whose recorder has our pid (pid 1 in two containers, say).
    const other = writeLock({ ...readLock(), hostname: "elsewhere", boot_id: OTHER_BOOT, start_time: 7 });
    lock.release();
    expect(readFileSync(lockPath, "utf8")).toBe(other);
  });

  test("locks of the previous version (pid and host name only) keep working", async () => {
    const live = liveProcess();
    writeLock({ pid: live, hostname: hostname(), started_at: "2024-01-01T00:00:00.000Z" });
    expect(() => acquireLock(csv)).toThrow(`pid ${live} on ${hostname()}`);
    writeLock({ pid: await deadPid(), hostname: "far-away" });
    expect(() => acquireLock(csv)).toThrow("on far-away, another host");
    const dead = await deadPid();
    writeLock({ pid: dead, hostname: hostname() });
    const lock = acquireLock(csv);
    expect(lock.takenOver?.pid).toBe(dead);
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  test("a torn lock is taken over", () => {
    writeFileSync(lockPath, '{"pid": 12');
    const lock = acquireLock(csv);
    expect(lock.takenOver?.pid).toBe(0);
    lock.release();
  });

  test("an empty lock still being written is waited for; an old empty one is taken over", () => {
    const pid = liveProcess();
    writeFileSync(lockPath, "");
    const text = JSON.stringify(identityOf(pid)) + "\n";
    Bun.spawn(["sh", "-c", 'sleep 0.2; printf "%s" "$0" >> "$1"', text, lockPath]);
    expect(() => acquireLock(csv)).toThrow(`pid ${pid} on ${hostname()}`);
    expect(readFileSync(lockPath, "utf8")).toBe(text);
    writeFileSync(lockPath, "");
    utimesSync(lockPath, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    const lock = acquireLock(csv);
    expect(lock.takenOver?.pid).toBe(0);
    lock.release();
  });

  test("a takeover guard left by a crashed process does not block the takeover", async () => {
    writeFileSync(`${lockPath}.takeover`, JSON.stringify(identityOf(process.pid, { pid: await deadPid() })));
    const dead = await deadPid();
    writeLock({ pid: dead, hostname: hostname() });
    const lock = acquireLock(csv);
    expect(lock.takenOver?.pid).toBe(dead);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a second writer in this process is refused", () => {
    const lock = acquireLock(csv);
    expect(() => acquireLock(csv)).toThrow("already being written by this process");
    lock.release();
  });
});
