import { readFileSync, readlinkSync } from "node:fs";

/**
 * Who a process is, beyond its pid: pids are reused, so a lock also records when its
 * holder started (field 22 of /proc/<pid>/stat, clock ticks since boot), which boot
 * it ran in (a reboot ends every process of the previous boot) and in which pid
 * namespace (a pid means something only inside its own: two containers both have a
 * pid 1). The /proc readers are Linux only; elsewhere they answer undefined.
 */

/** Fields of /proc/<pid>/stat that tell a process apart from a later one with its pid. */
export interface ProcStat {
  /** One letter: R, S, D, Z (exited, not reaped yet), X (dead), ... */
  state: string;
  /** Clock ticks since boot at which the process started. */
  startTime: number;
}

/** Field 3 (state) and field 22 (starttime) of a /proc/<pid>/stat line, or undefined if malformed. */
export function parseProcStat(text: string): ProcStat | undefined {
  // Field 2 is "(comm)"; comm may hold spaces and ")" itself, so split after the last ")".
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 1).trim().split(/\s+/); // fields[0] is field 3
  const state = fields[0];
  const startTime = Number(fields[22 - 3]);
  if (!state || !Number.isSafeInteger(startTime) || startTime < 0) return undefined;
  return { state, startTime };
}

/** /proc/<pid>/stat of `pid`, or undefined (no such process, or no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
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

/** This boot's id (changes at every reboot), or undefined without /proc. */
export function currentBootId(): string | undefined {
  if (_bootId === null) _bootId = _readBootId();
  return _bootId;
}

/** This process's start time in clock ticks since boot, or undefined without /proc. */
export function ownStartTime(): number | undefined {
  if (_ownStartTime === null) _ownStartTime = readProcStat(process.pid)?.startTime;
  return _ownStartTime;
}

/**
 * This process's pid namespace, the link text of /proc/self/ns/pid ("pid:[4026531836]"), or
 * undefined where unreadable. Its inode number is unique among the namespaces of one boot only.
 */
export function currentPidNamespace(): string | undefined {
  if (_pidNamespace === null) _pidNamespace = _readPidNamespace();
  return _pidNamespace;
}

// --- internal ---

/** All three are fixed for the life of a process; null until first read. */
let _bootId: string | undefined | null = null;
let _ownStartTime: number | undefined | null = null;
let _pidNamespace: string | undefined | null = null;

function _readBootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function _readPidNamespace(): string | undefined {
  try {
    return readlinkSync("/proc/self/ns/pid") || undefined;
  } catch {
    return undefined;
  }
}
