import { readFileSync } from "node:fs";
import { isPidAlive } from "../candles/lock.ts";

/**
 * True while `pid` runs. An exited process its parent has not reaped yet (a zombie,
 * which tmux can leave for a while) answers kill(pid, 0) but does not count.
 */
export function isRunning(pid: number): boolean {
  if (!isPidAlive(pid)) return false;
  const state = _stat(pid)?.[0];
  return state !== "Z" && state !== "X";
}

/** The parent pid of `pid`, or undefined (no such process, or no /proc). */
export function parentPid(pid: number): number | undefined {
  const ppid = Number(_stat(pid)?.[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

// --- internal ---

/** The fields of /proc/<pid>/stat after "pid (comm)": state, ppid, ... */
function _stat(pid: number): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may hold spaces and parentheses: split after the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
