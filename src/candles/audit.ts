import { UserError } from "../errors.ts";
import { isAligned, nextOpenTime, type Interval } from "../time/intervals.ts";
import { formatIsoMillis, formatIsoSeconds } from "../time/timestamp.ts";
import { createLineScanner } from "./audit-lines.ts";
import { fastScan, scanInOrder } from "./audit-fast.ts";
import { bytesToText } from "./audit-fields.ts";
import { findGluedRow, formatOfHeader, formatOfRow, leadingTime, parseCandleRow, parsedRow, type CandleFormat } from "./audit-row.ts";
import { reportOfPart, type AuditPart } from "./audit-parts.ts";
import { createCandleSet, type CandleSet, type HoleFinding } from "./audit-set.ts";
import { inferInterval } from "./infer-interval.ts";

/**
 * The candle-file audit: fed the file's bytes chunk by chunk, it reports holes,
 * duplicates, late rows, misaligned and corrupt rows and coverage, judged on the
 * set of candles (a late row fills its hole), in memory that does not grow with a
 * sorted file. Pure: no I/O; `audit-file.ts` feeds it.
 */

/** `lost`: the exchange has the candle; `exchange`: it does not (a halt); `unknown`: not asked. */
export type GapKind = "lost" | "exchange" | "unknown";
export interface GapFinding extends HoleFinding {
  kind: GapKind;
}
export interface DuplicateFinding {
  time: number;
  /** Every line holding this open time, the first copy first. */
  lines: number[];
  /** Decided by comparing the lines' values (`markConflicts`). */
  conflicting: boolean;
}
export interface TimedFinding {
  time: number;
  line: number;
}
export interface CorruptFinding {
  line: number;
  reason: string;
  /** The open time the line starts with, when it can be read (not in the JSON). */
  time?: number;
}

export interface AuditReport {
  /** null for an empty file. */
  format: CandleFormat | null;
  /** Line of the header, null when the file has none. */
  headerLine: number | null;
  /** Line ending of the first line, and whether dump times are in µs: the file's own style, for repairs. */
  crlf: boolean;
  micros: boolean;
  interval: Interval | null;
  /** Whether the interval was inferred from the data (say so to the user). */
  intervalInferred: boolean;
  /** Distinct valid candles. */
  rows: number;
  first: number | null;
  last: number | null;
  gaps: GapFinding[];
  duplicates: DuplicateFinding[];
  outOfOrder: TimedFinding[];
  misaligned: TimedFinding[];
  corrupt: CorruptFinding[];
  /** Candles missing before the first / after the last, within --since/--until. */
  headMissing: number;
  tailMissing: number;
  /** The expected coverage's first and last open times, when given. */
  expectedFirst: number | null;
  expectedLast: number | null;
}

export interface AuditOptions {
  /** Candle interval; inferred from the data when absent. */
  interval?: Interval;
  /** Expected coverage, inclusive, epoch ms. */
  since?: number;
  until?: number;
  /** For `until`: candles that have not closed by `now` are not expected. @default Date.now() */
  now?: number;
  /** File name, for messages. */
  source?: string;
  /**
   * Carry on from this part: the bytes pushed are the lines right after it (a range of
   * a file, audit-split.ts). Its format and header hold; a part with no lines is just
   * that, for a range audited on its own, its line numbers counted from its start.
   */
  after?: AuditPart;
}

export interface CandleAudit {
  push(chunk: Uint8Array): void;
  end(): AuditReport;
  /** The state so far as plain data (after `end()`, the whole of it). */
  part(): AuditPart;
}

/** 1970-01-05, the first Monday: weeks start there, as on Binance. */
const FIRST_MONDAY_MS = 4 * 86_400_000;
/** The first line's bytes looked at for binary data. */
const BINARY_SNIFF_BYTES = 4096;
/** Rows read before the interval is inferred from the data. */
const INFER_ROWS = 1000;

export function createCandleAudit(options: AuditOptions = {}): CandleAudit {
  const source = options.source ?? "input";
  const after = options.after;
  const found = {
    duplicates: new Map<number, DuplicateFinding>((after?.duplicates ?? []).map((d) => [d.time, { ...d, lines: [...d.lines] }])),
    outOfOrder: [...(after?.outOfOrder ?? [])],
    misaligned: [...(after?.misaligned ?? [])],
    corrupt: [...(after?.corrupt ?? [])],
  };
  let format: CandleFormat | undefined = after?.format ?? undefined;
  let headerLine: number | null = after?.headerLine ?? null;
  let headerText = after?.headerText ?? "";
  let crlf = after?.crlf ?? false;
  let micros = after?.micros ?? false;
  let interval = options.interval ?? after?.interval ?? undefined;
  let set: CandleSet | undefined = interval ? createCandleSet(interval, after?.segments) : undefined;
  let aligned: (time: number) => boolean = interval ? _aligner(interval) : () => true;
  let pending: { time: number; closeTime: number; line: number }[] | undefined = interval ? undefined : [];
  // Bytes of the first line still to look at for binary data (none past a part carried on from).
  let sniff = after !== undefined ? 0 : BINARY_SNIFF_BYTES;

  function judge(time: number, closeTime: number, line: number): void {
    if (!aligned(time)) return void found.misaligned.push({ time, line });
    if (closeTime === closeTime && interval && (closeTime < time || closeTime >= nextOpenTime(interval, time))) {
      return void found.corrupt.push({ line, reason: `close_time ${_iso(closeTime)} is outside its candle`, time });
    }
    const result = set!.add(time, line);
    if (result === "late") found.outOfOrder.push({ time, line });
    else if (result === "duplicate") {
      const dup = found.duplicates.get(time);
      if (dup) dup.lines.push(line);
      else found.duplicates.set(time, { time, lines: [set!.firstLine, line], conflicting: false });
    }
  }

  function accept(time: number, closeTime: number, line: number): void {
    if (pending === undefined) return judge(time, closeTime, line);
    pending.push({ time, closeTime, line });
    if (pending.length >= INFER_ROWS) settleInterval(false);
  }

  /**
   * Picks the interval from the buffered rows and replays them. With fewer than two
   * distinct times at the end of the file there is nothing to tell it from: the
   * interval stays unknown and only duplicates can be judged.
   */
  function settleInterval(final: boolean): void {
    const rows = pending ?? [];
    pending = undefined;
    interval = inferInterval(rows.map((r) => r.time));
    if (!interval && !(final && new Set(rows.map((r) => r.time)).size < 2)) {
      throw new UserError(`${source}: cannot tell the candle interval from the file name or the data; give --interval`);
    }
    set = createCandleSet(interval ?? "1m");
    aligned = interval ? _aligner(interval) : () => true;
    for (const r of rows) judge(r.time, r.closeTime, r.line);
  }

  function firstLine(buf: Uint8Array, start: number, end: number, line: number, terminated: boolean): void {
    if (line === 1 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3; // UTF-8 BOM
    crlf = end > start && buf[end - 1] === 13;
    const text = bytesToText(buf, start, crlf ? end - 1 : end);
    format = formatOfHeader(text);
    if (format) {
      headerLine = line;
      headerText = text.trim();
      return;
    }
    format = formatOfRow(buf, start, end);
    if (!format) throw new UserError(`${source}: not a candle file (line ${line} is neither a known header nor a candle row: "${_clip(text)}")`);
    row(buf, start, end, line, terminated);
  }

  function row(buf: Uint8Array, start: number, end: number, line: number, terminated: boolean): void {
    const reason = parseCandleRow(buf, start, end, format!);
    if (reason === null && terminated) {
      if (parsedRow.micros) micros = true;
      return accept(parsedRow.time, parsedRow.closeTime, line);
    }
    const time = leadingTime(buf, start, end, format!);
    if (!terminated) return void found.corrupt.push({ line, reason: "torn row: no newline at the end of the file", time });
    const at = findGluedRow(buf, start, end, format!);
    if (at >= 0) {
      const glued = { time: parsedRow.time, closeTime: parsedRow.closeTime };
      const torn = leadingTime(buf, start, at, format!);
      found.corrupt.push({ line, reason: `torn row${torn === undefined ? "" : ` for ${_iso(torn)}`} with the next row glued onto it (that row is kept)`, time: torn });
      return accept(glued.time, glued.closeTime, line);
    }
    found.corrupt.push({ line, reason: _whyBad(buf, start, end, reason!, headerText), time });
  }

  const scanner = createLineScanner({
    line(buf, start, end, line, terminated) {
      if (format !== undefined) row(buf, start, end, line, terminated);
      else if (end - start > (buf[end - 1] === 13 ? 1 : 0)) firstLine(buf, start, end, line, terminated);
      else found.corrupt.push({ line, reason: "empty line" });
    },
    fast(buf, pos, end, lineNo, out) {
      if (format === undefined || pending !== undefined || interval === undefined || interval === "1M") return 0;
      const next = set!.runNext(lineNo + 1);
      if (next !== next) return 0;
      const rows = scanInOrder(buf, pos, end, format, next, nextOpenTime(interval, 0), micros);
      if (rows > 0) {
        set!.extendRun(rows);
        out.pos = fastScan.pos;
      }
      return rows;
    },
    tooLong(line) {
      if (format === undefined) throw new UserError(`${source}: not a candle file (its first line is longer than any candle row)`);
      found.corrupt.push({ line, reason: "line too long to be a candle row (garbage or NUL bytes from a crash?)" });
    },
  }, after?.lines ?? 0);

  function part(): AuditPart {
    return {
      format: format ?? null,
      headerLine,
      headerText,
      crlf,
      micros,
      interval: interval ?? null,
      intervalInferred: after?.interval ? after.intervalInferred : !options.interval && !!interval,
      lines: scanner.lines,
      segments: set?.segments() ?? [],
      duplicates: [...found.duplicates.values()],
      outOfOrder: found.outOfOrder,
      misaligned: found.misaligned,
      corrupt: found.corrupt,
    };
  }

  return {
    push(chunk) {
      if (sniff > 0 && chunk.length > 0) {
        const seen = _binarySniff(chunk, sniff);
        if (seen < 0) throw new UserError(`${source}: binary data, not a candle CSV file`);
        sniff = seen === 0 ? 0 : sniff - seen;
      }
      scanner.push(chunk);
    },
    end() {
      scanner.end();
      if (pending) settleInterval(true);
      return reportOfPart(part(), options);
    },
    part,
  };
}

// --- internal ---

function _aligner(interval: Interval): (time: number) => boolean {
  if (interval === "1M") return (time) => isAligned(interval, time);
  const size = nextOpenTime(interval, 0);
  const offset = interval === "1w" ? FIRST_MONDAY_MS : 0;
  return (time) => (time - offset) % size === 0;
}

/**
 * Looks at up to `budget` bytes of the first line for NUL or other control bytes (not
 * tab, CR, ESC): not a text file. Only the first line: NUL bytes further on are a
 * crash's torn tail, reported per line. Returns -1 for binary, 0 when the line ended
 * (done), else the bytes looked at (the line goes on in the next chunk).
 */
function _binarySniff(chunk: Uint8Array, budget: number): number {
  const n = Math.min(chunk.length, budget);
  for (let i = 0; i < n; i++) {
    const c = chunk[i]!;
    if (c === 10) return 0;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) return -1;
  }
  return n === budget ? 0 : n;
}

function _whyBad(buf: Uint8Array, start: number, end: number, reason: string, headerText: string): string {
  if (buf.subarray(start, end).indexOf(0) >= 0) return "NUL bytes (a torn write?)";
  const text = bytesToText(buf, start, end).trim();
  if (headerText && text.toLowerCase() === headerText.toLowerCase()) return "header repeated inside the file";
  return reason;
}

function _iso(ms: number): string {
  return ms % 1000 === 0 ? formatIsoSeconds(ms) : formatIsoMillis(ms);
}

function _clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
