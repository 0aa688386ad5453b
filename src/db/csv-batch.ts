import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { formatOfHeader, formatOfRow, type CandleFormat } from "../candles/audit-row.ts";
import { csvLineToDbCandle, type DbCandle, type StreamKey } from "./candle-rows.ts";

/** Where a stream's replication stands in its CSV. Plain data, kept by the replicator. */
export interface CsvPosition {
  /** Byte offset of the next line to read. */
  offset: number;
  /** The line before `offset` (no newline), to notice a file rewritten under us. */
  lastLine: string | undefined;
  /** Open time of that line. */
  lastOpenTime: number | undefined;
  /** Known after the first read. */
  format: CandleFormat | undefined;
}

export const START_OF_FILE: CsvPosition = { offset: 0, lastLine: undefined, lastOpenTime: undefined, format: undefined };

export interface CsvBatch {
  candles: DbCandle[];
  /** Where the next read starts once these candles are in the table. */
  next: CsvPosition;
  /** Complete lines read past (sent or not). */
  lines: number;
  /** Lines that are not candles (torn, corrupt), with why. */
  rejected: string[];
  /** The file no longer holds `position.lastLine` where it was: read again from its start. */
  rewound: boolean;
  /** Nothing more to read now (end of file, or the next row is past `through`). */
  done: boolean;
}

export interface ReadCsvOptions {
  key: StreamKey;
  /** Read only rows opening at or before this (the durable frontier). @default every complete line */
  through?: number;
  maxRows: number;
  /** @default 1 MiB */
  maxBytes?: number;
}

/**
 * Reads the complete rows after `position` from a candle CSV (ours, the seed's, or a
 * Binance dump). Memory is bounded by maxRows and maxBytes. A file whose earlier content
 * changed (a last row replaced or removed) is read again from its start, skipping rows
 * older than the last one read: the replaced row is offered again.
 */
export function readCsvBatch(path: string, position: CsvPosition, options: ReadCsvOptions): CsvBatch {
  const maxBytes = options.maxBytes ?? 1 << 20;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { candles: [], next: position, lines: 0, rejected: [], rewound: false, done: true };
    throw err;
  }
  try {
    let pos = position;
    let rewound = false;
    if (pos.lastLine !== undefined && !_holdsLine(fd, pos)) {
      pos = { ...START_OF_FILE, lastOpenTime: pos.lastOpenTime };
      rewound = true;
    }
    const skipBefore = rewound ? position.lastOpenTime : undefined;
    // Only what the file holds past the position: a minute burst reads 1,500 files of one row each.
    const size = Math.min(maxBytes, Math.max(0, fstatSync(fd).size - pos.offset));
    const buf = Buffer.allocUnsafe(size);
    const got = size === 0 ? 0 : readSync(fd, buf, 0, size, pos.offset);
    const candles: DbCandle[] = [];
    const rejected: string[] = [];
    let lines = 0;
    let at = 0;
    let next = { ...pos };
    let done = false;
    while (candles.length < options.maxRows) {
      const nl = buf.indexOf(10, at);
      if (nl < 0 || nl >= got) {
        done = got < maxBytes || at === 0; // a line longer than maxBytes cannot be read: stop here
        break;
      }
      const line = buf.toString("latin1", at, nl);
      const lineEnd = nl + 1;
      if (next.offset === 0 && next.format === undefined && at === 0) {
        const header = formatOfHeader(line);
        if (header) {
          next = { ...next, offset: pos.offset + lineEnd, format: header };
          at = lineEnd;
          continue;
        }
        const bytes = Buffer.from(line.replace(/\r$/, ""), "latin1");
        next = { ...next, format: formatOfRow(bytes, 0, bytes.length) ?? "basic" };
      }
      const format = next.format ?? "basic";
      const parsed = csvLineToDbCandle(line, format, options.key);
      if (typeof parsed !== "string" && options.through !== undefined && parsed.openTime > options.through) {
        done = true;
        break;
      }
      lines++;
      if (typeof parsed === "string") rejected.push(`${line.slice(0, 80)}: ${parsed}`);
      else if (skipBefore === undefined || parsed.openTime >= skipBefore) candles.push(parsed);
      next = { offset: pos.offset + lineEnd, lastLine: line, lastOpenTime: typeof parsed === "string" ? next.lastOpenTime : parsed.openTime, format };
      at = lineEnd;
    }
    return { candles, next, lines, rejected, rewound, done };
  } finally {
    closeSync(fd);
  }
}

// --- internal ---

/** True when the file still has `lastLine` + newline just before `offset`. */
function _holdsLine(fd: number, pos: CsvPosition): boolean {
  const line = Buffer.from(`${pos.lastLine}\n`, "latin1");
  const from = pos.offset - line.length;
  if (from < 0) return false;
  const buf = Buffer.alloc(line.length);
  return readSync(fd, buf, 0, line.length, from) === line.length && buf.equals(line);
}
