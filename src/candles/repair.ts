import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { AuditReport } from "./audit.ts";
import { forEachChunk, readLines } from "./audit-file.ts";
import { createLineScanner } from "./audit-lines.ts";
import { findGluedRow, parseCandleRow, parsedRow, rowTextOf, type CandleFormat } from "./audit-row.ts";
import type { Candle } from "./candle.ts";
import { formatCandleRow } from "./csv.ts";
import { syncDirectory } from "../state/state-file.ts";

export interface RepairResult {
  /** Where the original is kept. */
  backup: string;
  /** Candles written from the exchange (missing ones and replacements for conflicting copies). */
  added: number;
  /** Lines left out: corrupt, misaligned, repeated copies (and copies replaced by the exchange's). */
  dropped: number;
  /** Late rows put back in their place. */
  moved: number;
}

/**
 * Rewrites `path` as a clean candle file: every valid row once, in time order, the
 * exchange's `candles` in the holes (and in place of copies that disagree), corrupt,
 * misaligned and repeated lines left out, in the file's own format and line ending.
 * Written to a temporary file, synced, then renamed over the original, which is kept
 * as `FILE.bak` (`FILE.bak.1`, ... when that exists). Null when nothing would change.
 * `report` must be the audit of the file as it is now (hold its lock).
 */
export function repairFile(path: string, report: AuditReport, candles: Candle[]): RepairResult | null {
  const format = report.format;
  if (!format) return null;
  const plan = _plan(report, candles);
  const late = _lateRows(path, report, format);
  if (plan.inserts.size === 0 && plan.skip.size === 0 && late.size === 0) return null;

  const eol = report.crlf ? "\r\n" : "\n";
  const inserts = [...plan.inserts.values(), ...late.values()].sort((a, b) => a.time - b.time);
  const tmp = `${path}.repair-${process.pid}.tmp`;
  const out = _createOutput(tmp);
  let next = 0;
  const flushBefore = (time: number) => {
    while (next < inserts.length && inserts[next]!.time < time) out.text(inserts[next++]!.text(report, eol));
  };
  try {
    const scanner = createLineScanner({
      line(buf, start, end, line, terminated) {
        if (line === report.headerLine) return out.bytes(buf, start, end, eol);
        if (!terminated || plan.skip.has(line) || late.has(line)) return;
        let from = start;
        if (parseCandleRow(buf, start, end, format) !== null) from = findGluedRow(buf, start, end, format);
        if (from < 0) return;
        parseCandleRow(buf, from, end, format);
        flushBefore(parsedRow.time);
        out.bytes(buf, from, end, eol);
      },
      tooLong() {},
    });
    forEachChunk(path, (chunk) => scanner.push(chunk));
    scanner.end();
    flushBefore(Infinity);
    out.close();
    const backup = _backupName(path);
    _keepOriginal(path, backup);
    renameSync(tmp, path);
    syncDirectory(dirname(path));
    return { backup, added: plan.inserts.size, dropped: plan.skip.size, moved: late.size };
  } catch (err) {
    out.abort();
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** One row in the file's format, for a candle from the exchange. */
export function formatRepairRow(candle: Candle, format: CandleFormat, micros: boolean): string {
  if (format !== "dump") return formatCandleRow(candle, format).replace(/\n$/, "");
  const open = micros ? `${candle.openTime}000` : String(candle.openTime);
  const close = micros ? `${candle.closeTime}999` : String(candle.closeTime);
  return [open, candle.open, candle.high, candle.low, candle.close, candle.volume, close, candle.quoteVolume, candle.trades, candle.takerBuyBase, candle.takerBuyQuote, "0"].join(",");
}

// --- internal ---

interface Insert {
  time: number;
  text(report: AuditReport, eol: string): string;
}

/** Lines to leave out and candles to write in their place. */
function _plan(report: AuditReport, candles: Candle[]): { skip: Set<number>; inserts: Map<number, Insert> } {
  // A line with a row glued onto a torn one is corrupt only in part: the repair scan keeps the row.
  const skip = new Set<number>(report.corrupt.filter((c) => !c.reason.includes("glued")).map((c) => c.line));
  for (const m of report.misaligned) skip.add(m.line);
  const fromExchange = new Map(candles.map((c) => [c.openTime, c]));
  const replace = new Set<number>();
  for (const dup of report.duplicates) {
    const exchange = dup.conflicting ? fromExchange.get(dup.time) : undefined;
    if (exchange) replace.add(dup.time);
    for (const line of exchange ? dup.lines : dup.lines.slice(1)) skip.add(line);
  }
  const inserts = new Map<number, Insert>();
  const missing = _missingTest(report);
  for (const candle of candles) {
    if (!replace.has(candle.openTime) && !missing(candle.openTime)) continue;
    inserts.set(candle.openTime, { time: candle.openTime, text: (r, eol) => formatRepairRow(candle, r.format!, r.micros) + eol });
  }
  return { skip, inserts };
}

/**
 * Whether the file has no valid row at a time (a hole, or the missing head or tail),
 * for times asked in increasing order.
 */
function _missingTest(report: AuditReport): (time: number) => boolean {
  let g = 0;
  return (time) => {
    if (report.first === null || report.last === null || time < report.first || time > report.last) return true;
    while (g < report.gaps.length && report.gaps[g]!.lastMissing < time) g++;
    const gap = report.gaps[g];
    return gap !== undefined && gap.firstMissing <= time;
  };
}

/** Text of the late rows, by line: written where they belong instead of where they are. */
function _lateRows(path: string, report: AuditReport, format: CandleFormat): Map<number, Insert> {
  const out = new Map<number, Insert>();
  if (report.outOfOrder.length === 0) return out;
  const texts = readLines(path, new Set(report.outOfOrder.map((o) => o.line)));
  for (const { line, time } of report.outOfOrder) {
    const text = rowTextOf(texts.get(line) ?? "", format);
    out.set(line, { time, text: (_r, eol) => text + eol });
  }
  return out;
}

function _createOutput(path: string) {
  const fd = openSync(path, "wx");
  const buf = new Uint8Array(1 << 20);
  let used = 0;
  let closed = false;
  const flush = () => {
    let done = 0;
    while (done < used) done += writeSync(fd, buf, done, used - done);
    used = 0;
  };
  const put = (bytes: Uint8Array) => {
    if (used + bytes.length > buf.length) flush();
    if (bytes.length > buf.length) return void writeSync(fd, bytes);
    buf.set(bytes, used);
    used += bytes.length;
  };
  const encoder = new TextEncoder();
  return {
    bytes(src: Uint8Array, start: number, end: number, eol: string) {
      if (end > start && src[end - 1] === 13) end--;
      put(src.subarray(start, end));
      put(encoder.encode(eol));
    },
    text(s: string) {
      put(encoder.encode(s));
    },
    close() {
      flush();
      fsyncSync(fd);
      closeSync(fd);
      closed = true;
    },
    abort() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

function _backupName(path: string): string {
  if (!existsSync(`${path}.bak`)) return `${path}.bak`;
  for (let n = 1; ; n++) if (!existsSync(`${path}.bak.${n}`)) return `${path}.bak.${n}`;
}

/** A hard link keeps the original inode untouched; copy where links are not allowed. */
function _keepOriginal(path: string, backup: string): void {
  try {
    linkSync(path, backup);
  } catch {
    copyFileSync(path, backup);
  }
}

