import type { ConsolaReporter, LogObject } from "consola";
import type { LogEntry, LogLevel } from "./snapshot.ts";

export interface LogTailOptions {
  /** Entries kept (older ones are dropped). @default 50 */
  limit?: number;
}

export interface LogTail {
  /** A consola reporter that records instead of printing (nothing may write over the dashboard). */
  reporter: ConsolaReporter;
  /** The kept entries, oldest first (a copy: plain data for a snapshot). */
  entries(): LogEntry[];
}

/**
 * Collects log lines for the dashboard's log tail. Note that consola's `withTag` copies
 * the reporter list when the tagged logger is created, so `logger.setReporters()` later
 * does not reach tagged loggers: route through a reporter that can be switched instead.
 */
export function createLogTail(options: LogTailOptions = {}): LogTail {
  const limit = Math.max(1, options.limit ?? 50);
  const kept: LogEntry[] = [];
  return {
    reporter: {
      log(obj: LogObject) {
        kept.push({ at: obj.date.getTime(), level: _level(obj.type), message: _message(obj) });
        if (kept.length > limit) kept.splice(0, kept.length - limit);
      },
    },
    entries: () => kept.slice(),
  };
}

// --- internal ---

function _level(type: LogObject["type"]): LogLevel {
  switch (type) {
    case "warn":
      return "warn";
    case "error":
    case "fatal":
    case "fail":
      return "error";
    case "success":
    case "ready":
      return "success";
    case "debug":
    case "trace":
    case "verbose":
      return "debug";
    default:
      return "info";
  }
}

function _message(obj: LogObject): string {
  const text = [obj.message, ...obj.args]
    .filter((a) => a !== undefined)
    .map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : Bun.inspect(a, { compact: true })))
    .join(" ");
  return obj.tag ? `[${obj.tag}] ${text}` : text;
}
