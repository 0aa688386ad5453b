import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { UserError } from "../errors.ts";
import { isInterval, type Interval } from "../time/intervals.ts";
import { createCandleAudit, type AuditOptions, type AuditReport } from "./audit.ts";
import { duplicateLines, markConflicts } from "./audit-duplicates.ts";
import { createLineScanner } from "./audit-lines.ts";
import { bytesToText } from "./audit-fields.ts";
import { rowTextOf } from "./audit-row.ts";

/** Read size: large enough that syscalls cost nothing next to the scan. */
const CHUNK_BYTES = 1 << 20;

export type AuditFileOptions = Omit<AuditOptions, "source">;

/**
 * Audits the candle file at `path`, streaming it in 1 MiB reads. The interval comes
 * from `options`, else the file name, else the data. When duplicates were found a
 * second pass reads just their lines to tell identical copies from conflicting ones.
 */
export function auditFile(path: string, options: AuditFileOptions = {}): AuditReport {
  const audit = createCandleAudit({ ...options, interval: options.interval ?? intervalFromName(path), source: path });
  forEachChunk(path, (chunk) => audit.push(chunk));
  const report = audit.end();
  if (report.duplicates.length > 0) {
    const lines = readLines(path, duplicateLines(report));
    for (const [line, text] of lines) lines.set(line, rowTextOf(text, report.format!));
    markConflicts(report, lines);
  }
  return report;
}

/** `candles_BTCUSDT_1h.csv` (ours, the seed's) or `BTCUSDT-1h-2024-01.csv` (Binance dumps). */
export function intervalFromName(path: string): Interval | undefined {
  const found = _nameParts(path)?.interval;
  return found && isInterval(found) ? found : undefined;
}

export function symbolFromName(path: string): string | undefined {
  return _nameParts(path)?.symbol.toUpperCase();
}

/** Opens a file for reading, or throws a UserError that says why it cannot be read. */
export function openCandleFile(path: string): number {
  try {
    if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, not a candle file`);
    return openSync(path, "r");
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read it (${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? String(err))})`);
  }
}

/** Calls `fn` with successive chunks of the file (the buffer is reused: copy what you keep). */
export function forEachChunk(path: string, fn: (chunk: Uint8Array) => void): void {
  const fd = openCandleFile(path);
  try {
    const buf = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK_BYTES, null);
      if (n <= 0) break;
      fn(n === CHUNK_BYTES ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** The text of the given (1-based) lines, `\r` included. */
export function readLines(path: string, wanted: Set<number>): Map<number, string> {
  const out = new Map<number, string>();
  const scanner = createLineScanner({
    line(buf, start, end, line) {
      if (wanted.has(line)) out.set(line, bytesToText(buf, start, end));
    },
    tooLong() {},
  });
  forEachChunk(path, (chunk) => scanner.push(chunk));
  scanner.end();
  return out;
}

// --- internal ---

function _nameParts(path: string): { symbol: string; interval: string } | undefined {
  const name = basename(path);
  const ours = /^candles_([A-Za-z0-9]+)_(\w+)\.csv$/.exec(name);
  if (ours) return { symbol: ours[1]!, interval: ours[2]! };
  const dump = /^([A-Za-z0-9]+)-(\w+?)-\d{4}-\d{2}(?:-\d{2})?\.csv$/.exec(name);
  return dump ? { symbol: dump[1]!, interval: dump[2]! } : undefined;
}
