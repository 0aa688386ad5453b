import { readFileSync } from "node:fs";

/** Files and sockets the process needs besides the CSVs: state file, logs, REST, the runtime. */
const OTHER_FILES = 64;

/** The soft limit of open files (`ulimit -n`), from /proc/self/limits; undefined where unknown. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m || m[1] === "unlimited") return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * One line saying the open-file limit is too low for `streams` CSVs and `connections`
 * sockets (each CSV keeps its file open), or undefined when it is enough. Pure.
 */
export function openFilesProblem(streams: number, connections: number, limit: number | undefined): string | undefined {
  if (limit === undefined) return undefined;
  const needed = streams + connections + OTHER_FILES;
  if (needed <= limit) return undefined;
  return `${streams} streams need about ${needed} open files, but this process may open ${limit}; raise the limit (ulimit -n ${Math.max(needed * 2, 4096)} in the shell, LimitNOFILE= under systemd) or record fewer symbols`;
}
