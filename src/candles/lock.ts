import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { UserError } from "../errors.ts";

/** Contents of `<csv>.lock`: the single writer of that CSV. */
export interface LockInfo {
  pid: number;
  hostname: string;
  started_at?: string;
}

/** Locks this process holds (a pid check cannot tell two writers in one process apart). */
const heldHere = new Set<string>();

export type LockHolder = { state: "free" } | { state: "stale"; info: LockInfo } | { state: "live"; info: LockInfo };

/** Who holds `lockPath`: nobody, a dead process on this host (stale), or a live one. */
export function inspectLock(lockPath: string): LockHolder {
  let info: LockInfo;
  try {
    info = JSON.parse(readFileSync(lockPath, "utf8")) as LockInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: "free" };
    // Unreadable or torn lock (a crash while writing it): nobody can be holding it.
    return { state: "stale", info: { pid: 0, hostname: hostname() } };
  }
  if (typeof info.pid !== "number" || typeof info.hostname !== "string") return { state: "stale", info: { pid: 0, hostname: hostname() } };
  if (info.hostname !== hostname()) return { state: "live", info }; // cannot check another host's pid
  return isPidAlive(info.pid) ? { state: "live", info } : { state: "stale", info };
}

/**
 * Takes the lock for `csvPath` or throws a UserError naming the live holder.
 * A stale lock (dead pid on this host) is taken over; returns the stale holder then.
 */
export function acquireLock(csvPath: string): { release(): void; takenOver?: LockInfo } {
  const lockPath = `${csvPath}.lock`;
  const key = resolve(lockPath);
  if (heldHere.has(key)) throw new UserError(`${csvPath} is already being written by this process; give each stream once`);
  const holder = inspectLock(lockPath);
  if (holder.state === "live" && holder.info.pid !== process.pid) {
    throw new UserError(
      `${csvPath} is being recorded by pid ${holder.info.pid} on ${holder.info.hostname} (lock ${lockPath}); stop that recorder first`,
    );
  }
  const info: LockInfo = { pid: process.pid, hostname: hostname(), started_at: new Date().toISOString() };
  const fd = openSync(lockPath, "w");
  try {
    writeSync(fd, JSON.stringify(info) + "\n");
  } finally {
    closeSync(fd);
  }
  heldHere.add(key);
  let released = false;
  return {
    takenOver: holder.state === "stale" ? holder.info : undefined,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(key);
      const now = inspectLock(lockPath);
      if (now.state !== "free" && "info" in now && now.info.pid === process.pid) rmSync(lockPath, { force: true });
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
