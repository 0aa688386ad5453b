import type { LogSink } from "../logger.ts";
import type { LogEntry, LogLevel } from "./snapshot.ts";

export interface LogTailOptions {
  /** Entries kept (older ones are dropped). @default 50 */
  limit?: number;
}

export interface LogTail {
  /** Pass to `setLogSink` while the dashboard is up: nothing else may write over it. */
  sink: LogSink;
  /** The kept entries, oldest first (a copy: plain data for a snapshot). */
  entries(): LogEntry[];
}

/** Collects log records for the dashboard's log tail instead of printing them. */
export function createLogTail(options: LogTailOptions = {}): LogTail {
  const limit = Math.max(1, options.limit ?? 50);
  const kept: LogEntry[] = [];
  return {
    sink(_line, entry) {
      kept.push({ at: entry.at, level: _level(entry.level), message: entry.message });
      if (kept.length > limit) kept.splice(0, kept.length - limit);
    },
    entries: () => kept.slice(),
  };
}

// --- internal ---

/** The logger's level names (`WARN`, `ERROR`, …) as the dashboard's. */
function _level(name: string): LogLevel {
  switch (name.toUpperCase()) {
    case "WARN":
      return "warn";
    case "ERROR":
    case "FATAL":
      return "error";
    case "SUCCESS":
      return "success";
    case "DEBUG":
    case "TRACE":
      return "debug";
    default:
      return "info";
  }
}
