import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { systemClock, type Clock } from "../clock.ts";
import { UserError, errorMessage } from "../errors.ts";
import type { Candle } from "./candle.ts";
import { csvHeader, formatCandleRow, rowOpenTime, type CsvColumns } from "./csv.ts";
import { acquireLock, type LockInfo } from "./lock.ts";

/** A failing disk is retried at this pace, rows held in memory meanwhile. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;
const TAIL_BYTES = 64 * 1024;

export interface CandleWriterOptions {
  path: string;
  columns: CsvColumns;
  clock?: Clock;
  /** Called once when writes start failing and once when they recover. */
  onFailing?: (error: string, heldRows: number) => void;
  onRecovered?: (rowsWritten: number) => void;
}

export interface CandleWriter {
  readonly path: string;
  /** Open time of the newest row accepted (on disk or held for a retry). */
  readonly lastOpenTime: number | undefined;
  /** What opening found and fixed: a torn last line cut off, a stale lock taken over. */
  readonly repairs: { tornBytes: number; tornText: string; staleLock?: LockInfo };
  /** Appends a closed candle unless its open time is not newer than the last row; nothing after close(). */
  append(candle: Candle): "written" | "held" | "duplicate" | "closed";
  /** Rows accepted but not yet on disk (the disk is failing). */
  readonly heldRows: number;
  readonly bytesWritten: number;
  readonly lastSyncAt: number | undefined;
  /** Tries to write held rows one last time, closes the file and releases the lock. */
  close(): void;
}

/**
 * Opens (or creates) a candle CSV for appending, as its single writer: takes the lock,
 * checks the header, cuts a torn last line, and reads the last open time. Each row is one
 * write(2) on an O_APPEND fd followed by fdatasync; a failing write keeps the rows in
 * memory and retries them in order.
 */
export function createCandleWriter(options: CandleWriterOptions): CandleWriter {
  const clock = options.clock ?? systemClock;
  const lock = acquireLock(options.path);
  let opened: ReturnType<typeof _openCsv>;
  try {
    opened = _openCsv(options.path, csvHeader(options.columns));
  } catch (err) {
    lock.release();
    throw err;
  }
  let fd: number | undefined = opened.fd;
  let goodSize = opened.size;
  let lastOpenTime = opened.lastOpenTime;
  const held: string[] = [];
  let failing = false;
  let retryDelay = RETRY_MIN_MS;
  let cancelRetry: (() => void) | undefined;
  let bytesWritten = 0;
  let lastSyncAt: number | undefined;
  let closed = false;

  function writeRow(line: string): void {
    fd ??= openSync(options.path, "a");
    const bytes = Buffer.from(line);
    try {
      const n = writeSync(fd, bytes);
      if (n !== bytes.length) throw new Error(`short write (${n} of ${bytes.length} bytes)`);
      fdatasyncSync(fd);
    } catch (err) {
      // Never leave half a row behind: cut back to the last whole row.
      try {
        if (fstatSync(fd).size !== goodSize) ftruncateSync(fd, goodSize);
      } catch {
        try {
          closeSync(fd);
        } catch {}
        fd = undefined;
      }
      throw err;
    }
    goodSize += bytes.length;
    bytesWritten += bytes.length;
    lastSyncAt = clock.now();
  }

  function drain(): boolean {
    while (held.length > 0) {
      try {
        writeRow(held[0]!);
      } catch (err) {
        if (!failing) {
          failing = true;
          options.onFailing?.(errorMessage(err), held.length);
        }
        scheduleRetry();
        return false;
      }
      held.shift();
    }
    if (failing) {
      failing = false;
      retryDelay = RETRY_MIN_MS;
      options.onRecovered?.(bytesWritten);
    }
    return true;
  }

  function scheduleRetry(): void {
    if (cancelRetry || closed) return;
    cancelRetry = clock.setTimeout(() => {
      cancelRetry = undefined;
      retryDelay = Math.min(RETRY_MAX_MS, retryDelay * 2);
      drain();
    }, retryDelay);
  }

  return {
    path: options.path,
    get lastOpenTime() {
      return lastOpenTime;
    },
    repairs: { tornBytes: opened.tornBytes, tornText: opened.tornText, staleLock: lock.takenOver },
    append(candle) {
      if (closed) return "closed";
      if (lastOpenTime !== undefined && candle.openTime <= lastOpenTime) return "duplicate";
      lastOpenTime = candle.openTime;
      held.push(formatCandleRow(candle, options.columns));
      if (failing) return "held";
      return drain() ? "written" : "held";
    },
    get heldRows() {
      return held.length;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get lastSyncAt() {
      return lastSyncAt;
    },
    close() {
      if (closed) return;
      cancelRetry?.();
      cancelRetry = undefined;
      closed = true;
      drain();
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {}
      }
      lock.release();
    },
  };
}

// --- internal ---

/** Opens the CSV: writes the header into a new file; checks it and repairs the tail otherwise. */
function _openCsv(path: string, header: string) {
  const fd = openSync(path, "a+");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) {
      const text = Buffer.from(`${header}\n`);
      writeSync(fd, text);
      fdatasyncSync(fd);
      return { fd, size: text.length, lastOpenTime: undefined, tornBytes: 0, tornText: "" };
    }
    const head = _readAt(fd, 0, Math.min(size, 4096));
    const firstLine = head.split("\n")[0]!.replace(/\r$/, "");
    if (firstLine !== header) {
      throw new UserError(
        `${path} does not start with the header "${header}" (found "${firstLine.slice(0, 80)}"); ` +
          `record into another --out directory, or set csv.columns to match the file`,
      );
    }
    let end = size;
    let tornBytes = 0;
    let tornText = "";
    const tailStart = Math.max(0, size - TAIL_BYTES);
    let tail = _readAt(fd, tailStart, size - tailStart);
    if (!tail.endsWith("\n")) {
      const cut = tail.lastIndexOf("\n");
      if (cut < 0 && tailStart === 0) {
        // Only a header without its newline: complete it.
        writeSync(fd, "\n");
        end = size + 1;
        tail += "\n";
      } else {
        tornText = tail.slice(cut + 1);
        tornBytes = Buffer.byteLength(tornText);
        end = size - tornBytes;
        ftruncateSync(fd, end);
        tail = tail.slice(0, cut + 1);
      }
      fdatasyncSync(fd);
    }
    const lines = tail.split("\n").filter((l) => l.length > 0);
    const lastLine = (lines[lines.length - 1] ?? "").replace(/\r$/, "");
    let lastOpenTime: number | undefined;
    if (lastLine !== header) {
      lastOpenTime = rowOpenTime(lastLine);
      if (lastOpenTime === undefined) {
        throw new UserError(`the last row of ${path} is not a candle row ("${lastLine.slice(0, 60)}"); check it with 'resilience gaps ${path}'`);
      }
    }
    return { fd, size: end, lastOpenTime, tornBytes, tornText };
  } catch (err) {
    closeSync(fd);
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot open ${path} for appending: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

function _readAt(fd: number, position: number, length: number): string {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n).toString("utf8");
}
