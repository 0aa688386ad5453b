import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { Market } from "../exchange/market.ts";
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
  return settleDuplicates(path, audit.end());
}

/** Tells each duplicate in `report` identical or conflicting, from the text of its lines (a second pass over just those). */
export function settleDuplicates(path: string, report: AuditReport): AuditReport {
  if (report.duplicates.length > 0) {
    const lines = readLines(path, duplicateLines(report));
    for (const [line, text] of lines) lines.set(line, rowTextOf(text, report.format!));
    markConflicts(report, lines);
  }
  return report;
}

/** `candles_BTCUSDT_1h.csv` (ours, the seed's), `candles_usdm_BTCUSDT_1h.csv` (ours on futures) or `BTCUSDT-1h-2024-01.csv` (Binance dumps). */
export function intervalFromName(path: string): Interval | undefined {
  const found = _nameParts(path)?.interval;
  return found && isInterval(found) ? found : undefined;
}

export function symbolFromName(path: string): string | undefined {
  return _nameParts(path)?.symbol.toUpperCase();
}

/** `candles_usdm_BTCUSDT_1m.csv` is usdm, `candles_coinm_…` coinm; ours without a market, the seed's and dumps: spot. */
export function marketFromName(path: string): Market {
  return _nameParts(path)?.market ?? "spot";
}

/** A candle file's name: ours or kstlib's (`candles_….csv`, futures too) or a Binance dump (`BTCUSDT-1m-2024-01.csv`). */
export function isCandleFileName(path: string): boolean {
  return _nameParts(path) !== undefined || /^candles_.+\.csv$/.test(basename(path));
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
  forEachChunkIn(path, 0, null, fn);
}

/** Calls `fn` with successive chunks of the file from byte `start` to `end` (null: to its end, as it is then). */
export function forEachChunkIn(path: string, start: number, end: number | null, fn: (chunk: Uint8Array) => void): void {
  const fd = openCandleFile(path);
  // One buffer for every file a process audits (a directory is thousands): no 1 MiB of garbage per file.
  const buf = _spareBuffer ?? new Uint8Array(CHUNK_BYTES);
  _spareBuffer = undefined;
  try {
    for (let pos = start; ; ) {
      const want = end === null ? CHUNK_BYTES : Math.min(CHUNK_BYTES, end - pos);
      if (want <= 0) break;
      const n = readSync(fd, buf, 0, want, pos);
      if (n <= 0) break;
      pos += n;
      fn(n === CHUNK_BYTES ? buf : buf.subarray(0, n));
    }
  } finally {
    _spareBuffer = buf;
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

/** The read buffer not in use, if any (a read inside another's callback takes a new one). */
let _spareBuffer: Uint8Array | undefined;

function _nameParts(path: string): { market: Market; symbol: string; interval: string } | undefined {
  const name = basename(path);
  const ours = /^candles_(?:(usdm|coinm)_)?([A-Za-z0-9][A-Za-z0-9_]*)_(\d+[smhdwM])\.csv$/.exec(name);
  if (ours) return { market: (ours[1] as Market | undefined) ?? "spot", symbol: ours[2]!, interval: ours[3]! };
  const dump = /^([A-Za-z0-9][A-Za-z0-9_]*)-(\w+?)-\d{4}-\d{2}(?:-\d{2})?\.csv$/.exec(name);
  return dump ? { market: "spot", symbol: dump[1]!, interval: dump[2]! } : undefined;
}
