import { readFileSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { UserError } from "../errors.ts";
import { createIfAbsent, removeIfContent, removeIfUnchanged, writeTempBeside } from "./exclusive-file.ts";
import { currentBootId, ownStartTime, readProcStat } from "./process-identity.ts";

/**
 * Contents of `<csv>.lock`: the single writer of that CSV, one JSON line.
 * `boot_id` and `start_time` tell a reused pid or a reboot apart from the holder; locks
 * written by older versions lack them and are judged by pid and host name alone.
 */
export interface LockInfo {
  pid: number;
  hostname: string;
  started_at?: string;
  /** /proc/sys/kernel/random/boot_id of the holder's boot (absent off Linux and in older locks). */
  boot_id?: string;
  /** The holder's start, field 22 of /proc/<pid>/stat: clock ticks since boot (absent likewise). */
  start_time?: number;
}

/** Why nobody holds a lock that is still on disk. */
export type StaleReason = "unreadable" | "dead" | "rebooted" | "pid-reused";

export type LockHolder =
  | { state: "free" }
  | { state: "stale"; info: LockInfo; reason: StaleReason }
  /** `otherHost`: written on another machine (shared filesystem), whose processes we cannot see. */
  | { state: "live"; info: LockInfo; otherHost: boolean };

/** How long a takeover waits for another process that is taking over the same lock. */
const TAKEOVER_WAIT_MS = 3000;
const RETRY_DELAY_MS = 5;
/** An empty lock younger than this may be one whose creator has not written it yet. */
const EMPTY_GRACE_MS = 2000;

/** Locks this process holds (a pid check cannot tell two writers in one process apart). */
const heldHere = new Set<string>();

/** Who holds `lockPath`: nobody (yet), a holder that is gone (stale), or a live one. */
export function inspectLock(lockPath: string): LockHolder {
  return _inspect(lockPath).holder;
}

/**
 * Takes the lock for `csvPath` or throws a UserError naming the live holder.
 * A stale lock is taken over; returns the stale holder then.
 *
 * Protocol (no step ever overwrites a lock file in place):
 * - Create: our JSON goes to a unique temp file (fsynced), then link(temp, lock): like
 *   O_EXCL it fails if the lock exists, and the lock never appears half written.
 * - Take over: only the holder of `<lock>.takeover` (created the same way) may remove a
 *   stale lock. It re-reads the lock, moves it aside only if it is unchanged, and then
 *   creates its own as above. Everyone else retries and so sees the winner's lock as live.
 * - A takeover guard left by a crash is judged like a lock and removed once stale.
 */
export function acquireLock(csvPath: string): { release(): void; takenOver?: LockInfo } {
  const lockPath = `${csvPath}.lock`;
  const key = resolve(lockPath);
  if (heldHere.has(key)) throw new UserError(`${csvPath} is already being written by this process; give each stream once`);
  const content = JSON.stringify(_ownInfo()) + "\n";
  const temp = writeTempBeside(lockPath, content);
  let takenOver: LockInfo | undefined;
  try {
    const deadline = Date.now() + TAKEOVER_WAIT_MS;
    while (!createIfAbsent(temp, lockPath, content)) {
      const { holder, raw } = _inspect(lockPath);
      if (holder.state === "live") throw _refusal(csvPath, lockPath, holder);
      if (holder.state === "stale" && _takeOver(lockPath, raw, temp, content)) {
        takenOver = holder.info;
        break;
      }
      if (Date.now() > deadline) {
        throw new UserError(`${csvPath}: its lock ${lockPath} kept changing for ${TAKEOVER_WAIT_MS / 1000} s (another process taking it over?); try again, or if no recorder runs, rm ${lockPath} ${lockPath}.takeover`);
      }
      Bun.sleepSync(RETRY_DELAY_MS);
    }
  } finally {
    rmSync(temp, { force: true });
  }
  heldHere.add(key);
  let released = false;
  return {
    takenOver,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(key);
      removeIfContent(lockPath, content);
    },
  };
}

/** True when `pid` is a running process (EPERM means it exists but is not ours). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// --- internal ---

function _ownInfo(): LockInfo {
  return { pid: process.pid, hostname: hostname(), started_at: new Date().toISOString(), boot_id: currentBootId(), start_time: ownStartTime() };
}

/** The holder of `path` and the raw text it was judged by ("" when free). */
function _inspect(path: string): { holder: LockHolder; raw: string } {
  const raw = _read(path);
  if (raw === undefined) return { holder: { state: "free" }, raw: "" };
  // Still being written by its creator (the O_EXCL fallback in createIfAbsent): not held yet, nor torn.
  if (raw === "" && _ageMs(path) < EMPTY_GRACE_MS) return { holder: { state: "free" }, raw };
  return { holder: _judge(_parse(raw)), raw };
}

function _ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function _read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function _parse(raw: string): LockInfo | undefined {
  try {
    const info = JSON.parse(raw) as LockInfo;
    if (typeof info?.pid !== "number" || typeof info.hostname !== "string") return undefined;
    if (info.boot_id !== undefined && typeof info.boot_id !== "string") return undefined;
    if (info.start_time !== undefined && typeof info.start_time !== "number") return undefined;
    return info;
  } catch {
    return undefined;
  }
}

function _judge(info: LockInfo | undefined): LockHolder {
  // Torn or foreign (a crash while an older version wrote it): nobody can be holding it.
  if (!info) return { state: "stale", info: { pid: 0, hostname: hostname() }, reason: "unreadable" };
  const bootId = currentBootId();
  const bootKnown = info.boot_id !== undefined && bootId !== undefined;
  // Same boot id: this machine, even if its container came back under a new host name.
  const thisMachine = bootKnown ? info.boot_id === bootId || info.hostname === hostname() : info.hostname === hostname();
  if (!thisMachine) return { state: "live", info, otherHost: true }; // cannot see another host's processes
  if (bootKnown && info.boot_id !== bootId) return { state: "stale", info, reason: "rebooted" };
  if (info.pid === process.pid && (info.start_time === undefined || info.start_time !== ownStartTime())) {
    return { state: "stale", info, reason: "pid-reused" }; // we are that pid now, and not its holder
  }
  if (!isPidAlive(info.pid)) return { state: "stale", info, reason: "dead" };
  const stat = readProcStat(info.pid);
  if (stat?.state === "Z" || stat?.state === "X") return { state: "stale", info, reason: "dead" }; // exited, not reaped
  if (stat && info.start_time !== undefined && stat.startTime !== info.start_time) return { state: "stale", info, reason: "pid-reused" };
  return { state: "live", info, otherHost: false };
}

function _refusal(csvPath: string, lockPath: string, holder: { info: LockInfo; otherHost: boolean }): UserError {
  const { pid, hostname: host } = holder.info;
  if (pid === process.pid && !holder.otherHost) return new UserError(`${csvPath} is already being written by this process; give each stream once`);
  if (!holder.otherHost) return new UserError(`${csvPath} is being recorded by pid ${pid} on ${host} (lock ${lockPath}); stop that recorder first`);
  return new UserError(
    `${csvPath} is being recorded by pid ${pid} on another host, ${host} (lock ${lockPath}); stop that recorder first, or if ${host} is gone, rm ${lockPath}`,
  );
}

/** Holding `<lock>.takeover`, replaces the stale lock whose text is `staleRaw`; false to look again. */
function _takeOver(lockPath: string, staleRaw: string, temp: string, content: string): boolean {
  const guard = `${lockPath}.takeover`;
  if (!createIfAbsent(temp, guard, content)) {
    const other = _inspect(guard);
    if (other.holder.state === "stale") removeIfUnchanged(guard, other.raw); // its taker crashed
    return false;
  }
  try {
    if (_read(lockPath) !== staleRaw) return false; // someone finished a takeover before us
    return removeIfUnchanged(lockPath, staleRaw) && createIfAbsent(temp, lockPath, content);
  } finally {
    removeIfContent(guard, content);
  }
}
