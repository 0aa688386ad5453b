import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { systemClock, type Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import { createIfAbsent, readIfPresent, removeIfContent, removeIfUnchanged, writeTempBeside } from "./exclusive-file.ts";
import { LOCK_LEASE_MS, LOCK_REFRESH_MS, leaseAgeMs, startLeaseRefresh } from "./lock-lease.ts";
import { currentBootId, currentPidNamespace, isPidAlive, ownStartTime, readProcStat } from "./process-identity.ts";

export { isPidAlive } from "./process-identity.ts";

/**
 * Contents of `<csv>.lock`: the single writer of that CSV, one JSON line. `boot_id`,
 * `pid_ns` and `start_time` tell a reboot, another container or a reused pid apart from
 * the holder; locks of older versions lack some of them (see _scope for how they are judged).
 */
export interface LockInfo {
  pid: number;
  hostname: string;
  started_at?: string;
  /** /proc/sys/kernel/random/boot_id of the holder's boot (absent off Linux and in older locks). */
  boot_id?: string;
  /** The holder's pid namespace, /proc/self/ns/pid ("pid:[4026531836]"): its pid means something only there. */
  pid_ns?: string;
  /** The holder's start, field 22 of /proc/<pid>/stat: clock ticks since boot (absent likewise). */
  start_time?: number;
}

/** Why nobody holds a lock that is still on disk ("expired": a lease not refreshed for LOCK_LEASE_MS). */
export type StaleReason = "unreadable" | "dead" | "rebooted" | "pid-reused" | "expired";

export type LockHolder =
  | { state: "free" }
  | { state: "stale"; info: LockInfo; reason: StaleReason }
  /** Its process runs: seen in our /proc. */
  | { state: "live"; info: LockInfo; checkedBy: "pid" }
  /** In another pid namespace or on another host, so vouched for only by its refresh `leaseAgeMs` ago. */
  | { state: "live"; info: LockInfo; checkedBy: "lease"; leaseAgeMs: number };

export interface AcquireLockOptions {
  /**
   * Called once if the lock, while held, turns out taken over: its lease ran out (this process
   * or its disk stalled for LOCK_LEASE_MS). Gets the new holder (undefined: the lock was removed).
   * Stop writing then. @default none
   */
  onLost?: (holder: LockInfo | undefined) => void;
  /** Ages other holders' leases and dates our refreshes. @default systemClock */
  clock?: Pick<Clock, "now">;
  /** Time between two refreshes of our lock's lease. @default LOCK_REFRESH_MS */
  refreshMs?: number;
}

/** How long a takeover waits for another process that is taking over the same lock. */
const TAKEOVER_WAIT_MS = 3000;
const RETRY_DELAY_MS = 5;
/** An empty lock younger than this may be one whose creator has not written it yet. */
const EMPTY_GRACE_MS = 2000;

/** Locks this process holds (a pid check cannot tell two writers in one process apart). */
const heldHere = new Set<string>();

/** Who holds `lockPath`: nobody (yet), a holder that is gone (stale), or a live one. */
export function inspectLock(lockPath: string, clock: Pick<Clock, "now"> = systemClock): LockHolder {
  return _inspect(lockPath, clock).holder;
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
 * - While held, the lock's mtime is refreshed (lock-lease.ts) for those who cannot check our pid.
 */
export function acquireLock(csvPath: string, options: AcquireLockOptions = {}): { release(): void; takenOver?: LockInfo } {
  const clock = options.clock ?? systemClock;
  const lockPath = `${csvPath}.lock`;
  const key = resolve(lockPath);
  if (heldHere.has(key)) throw new UserError(`${csvPath} is already being written by this process; give each stream once`);
  const content = JSON.stringify(_ownInfo()) + "\n";
  const temp = writeTempBeside(lockPath, content);
  let takenOver: LockInfo | undefined;
  try {
    const deadline = Date.now() + TAKEOVER_WAIT_MS;
    while (!createIfAbsent(temp, lockPath, content)) {
      const { holder, raw } = _inspect(lockPath, clock);
      if (holder.state === "live") throw _refusal(csvPath, lockPath, holder);
      if (holder.state === "stale" && _takeOver(lockPath, raw, temp, content, clock)) {
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
  const onLost = (raw: string | undefined) => options.onLost?.(_parse(raw ?? ""));
  const stopRefresh = startLeaseRefresh(lockPath, content, { clock, refreshMs: options.refreshMs, onLost });
  let released = false;
  return {
    takenOver,
    release() {
      if (released) return;
      released = true;
      stopRefresh();
      heldHere.delete(key);
      removeIfContent(lockPath, content);
    },
  };
}

// --- internal ---

function _ownInfo(): LockInfo {
  return { pid: process.pid, hostname: hostname(), started_at: new Date().toISOString(), boot_id: currentBootId(), pid_ns: currentPidNamespace(), start_time: ownStartTime() };
}

/** The holder of `path` and the raw text it was judged by ("" when free). */
function _inspect(path: string, clock: Pick<Clock, "now">): { holder: LockHolder; raw: string } {
  const raw = readIfPresent(path);
  // Aged after reading: a lock that replaced the one read can only look younger, never older.
  const ageMs = raw === undefined ? undefined : leaseAgeMs(path, clock.now());
  if (raw === undefined || ageMs === undefined) return { holder: { state: "free" }, raw: "" };
  // Still being written by its creator (the O_EXCL fallback in createIfAbsent): not held yet, nor torn.
  if (raw === "" && ageMs < EMPTY_GRACE_MS) return { holder: { state: "free" }, raw };
  return { holder: _judge(_parse(raw), ageMs), raw };
}

function _parse(raw: string): LockInfo | undefined {
  try {
    const info = JSON.parse(raw) as LockInfo;
    if (typeof info?.pid !== "number" || typeof info.hostname !== "string") return undefined;
    if (info.boot_id !== undefined && typeof info.boot_id !== "string") return undefined;
    if (info.pid_ns !== undefined && typeof info.pid_ns !== "string") return undefined;
    if (info.start_time !== undefined && typeof info.start_time !== "number") return undefined;
    return info;
  } catch {
    return undefined;
  }
}

/** `ageMs`: since the lock was created or last refreshed. */
function _judge(info: LockInfo | undefined, ageMs: number): LockHolder {
  // Torn or foreign (a crash while an older version wrote it): nobody can be holding it.
  if (!info) return { state: "stale", info: { pid: 0, hostname: hostname() }, reason: "unreadable" };
  const scope = _scope(info);
  if (scope === "rebooted") return { state: "stale", info, reason: "rebooted" };
  if (scope === "elsewhere") {
    if (ageMs > LOCK_LEASE_MS) return { state: "stale", info, reason: "expired" };
    return { state: "live", info, checkedBy: "lease", leaseAgeMs: ageMs };
  }
  if (info.pid === process.pid && (info.start_time === undefined || info.start_time !== ownStartTime())) {
    return { state: "stale", info, reason: "pid-reused" }; // we are that pid now, and not its holder
  }
  if (!isPidAlive(info.pid)) return { state: "stale", info, reason: "dead" };
  const stat = readProcStat(info.pid);
  if (stat?.state === "Z" || stat?.state === "X") return { state: "stale", info, reason: "dead" }; // exited, not reaped
  if (stat && info.start_time !== undefined && stat.startTime !== info.start_time) return { state: "stale", info, reason: "pid-reused" };
  return { state: "live", info, checkedBy: "pid" };
}

/**
 * Where the holder ran, seen from here. "here": its pid is one of our /proc's (same boot and
 * pid namespace; for a lock without them, same host name). "rebooted": an earlier boot of this
 * host. "elsewhere": another pid namespace (another container) or host, judged by its lease.
 */
function _scope(info: LockInfo): "here" | "rebooted" | "elsewhere" {
  const sameHost = info.hostname === hostname();
  const bootId = currentBootId();
  if (info.boot_id === undefined || bootId === undefined) return sameHost ? "here" : "elsewhere";
  if (info.boot_id !== bootId) return sameHost ? "rebooted" : "elsewhere";
  // This machine. A lock of the version before pid_ns, under another host name, is likely another container's.
  if (info.pid_ns === undefined) return sameHost ? "here" : "elsewhere";
  return info.pid_ns === currentPidNamespace() ? "here" : "elsewhere";
}

function _refusal(csvPath: string, lockPath: string, holder: Extract<LockHolder, { state: "live" }>): UserError {
  const { pid, hostname: host, boot_id } = holder.info;
  if (holder.checkedBy === "pid") {
    if (pid === process.pid) return new UserError(`${csvPath} is already being written by this process; give each stream once`);
    return new UserError(`${csvPath} is being recorded by pid ${pid} on ${host} (lock ${lockPath}); stop that recorder first`);
  }
  const where = boot_id !== undefined && boot_id === currentBootId() ? "another container on this machine" : "another host";
  const ago = Math.max(0, Math.round(holder.leaseAgeMs / 1000));
  return new UserError(
    `${csvPath} is being recorded by pid ${pid} on ${host}, ${where} whose processes cannot be checked from here (lock ${lockPath}, refreshed ${ago} s ago); ` +
      `stop that recorder first. Its holder refreshes the lock every ${LOCK_REFRESH_MS / 1000} s; once not refreshed for ${LOCK_LEASE_MS / 1000} s it is taken over automatically, or if you are sure that recorder is gone, rm ${lockPath}`,
  );
}

/** Holding `<lock>.takeover`, replaces the stale lock whose text is `staleRaw`; false to look again. */
function _takeOver(lockPath: string, staleRaw: string, temp: string, content: string, clock: Pick<Clock, "now">): boolean {
  const guard = `${lockPath}.takeover`;
  if (!createIfAbsent(temp, guard, content)) {
    const other = _inspect(guard, clock);
    if (other.holder.state === "stale") removeIfUnchanged(guard, other.raw); // its taker crashed
    return false;
  }
  try {
    // Judged again under the guard: someone finished a takeover before us, or the holder refreshed its lease.
    const again = _inspect(lockPath, clock);
    if (again.holder.state !== "stale" || again.raw !== staleRaw) return false;
    return removeIfUnchanged(lockPath, staleRaw) && createIfAbsent(temp, lockPath, content);
  } finally {
    removeIfContent(guard, content);
  }
}
