import { systemClock, type Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import type { Candle } from "./candle.ts";
import { csvHeader, formatCandleRow, type CsvColumns } from "./csv.ts";
import { acquireLock, type LockInfo } from "./lock.ts";
import type { SyncPool } from "./sync-pool.ts";
import { NODE_FS, REOPEN_FLAGS, checkTail, openCsv, readTail, restoreSize, type CsvTail, type FileProblem, type HeldRow, type WriterFs } from "./writer-file.ts";
import { createBackgroundSync, type BackgroundSync } from "./writer-sync.ts";

/** A failing disk is retried at this pace, rows held in memory meanwhile. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

export interface CandleWriterOptions {
  path: string;
  columns: CsvColumns;
  clock?: Clock;
  /** File calls to use instead of node:fs ones (tests make the disk fail with them). @default node:fs */
  fs?: Partial<WriterFs>;
  /** How often the lock's lease is refreshed (see lock.ts). For tests. @default LOCK_REFRESH_MS */
  lockRefreshMs?: number;
  /** Called once when writes start failing and once when they recover. */
  onFailing?: (error: string, heldRows: number) => void;
  /**
   * Called when appending stops because the file cannot be shown to end at the last row written
   * (a partial row could not be cut), and again if a retry finds written rows gone. Alert loudly.
   * Rows are held in memory meanwhile; `onRecovered` follows once the tail checks out again.
   */
  onDamaged?: (error: string, heldRows: number) => void;
  onRecovered?: (rowsWritten: number) => void;
  /**
   * fdatasync on these worker threads instead of inline: `append` does the write(2) and returns,
   * and one sync at a time per file covers every row written before it started. A row then
   * survives a crash of this process once written, and a power loss once `onSynced` covers it.
   * Close the writers before the pool. @default undefined (write + fdatasync inline, per row)
   */
  syncPool?: SyncPool;
  /** Rows up to `openTime` (the newest) are on disk now: what followers and latency figures should use. */
  onSynced?: (openTime: number) => void;
}

export interface CandleWriter {
  readonly path: string;
  /** Open time of the newest row accepted (on disk or held for a retry). */
  readonly lastOpenTime: number | undefined;
  /** What opening found and fixed: a torn last line cut off, a stale lock taken over. */
  readonly repairs: { tornBytes: number; tornText: string; staleLock?: LockInfo };
  /** The last rows found at opening, newest last (at most 2, raw text without its line ending); [] for a new file. */
  readonly tailRows: readonly string[];
  /** Appends a closed candle unless its open time is not newer than the last row; nothing after close(). */
  append(candle: Candle): "written" | "held" | "duplicate" | "closed";
  /**
   * Replaces the newest row with `candle`'s row, or removes it when `candle` is undefined, crash-safely:
   * truncate the row away + fdatasync, then (if given) append + fdatasync. A crash in between leaves
   * the file ending at the row before, which the next start backfills. Only allowed while nothing is held,
   * there is a row, `candle` is newer than the row before, and (with a syncPool) no sync is owed;
   * returns false (changing nothing) otherwise.
   * Updates lastOpenTime (to the previous row's open time after a removal; undefined if only the header remains).
   */
  rewriteLastRow(candle: Candle | undefined): boolean;
  /** Rows accepted but not yet on disk (the disk is failing, or the file is damaged). */
  readonly heldRows: number;
  /** Why appending is stopped: the file cannot be shown to end at the last row written; else undefined. */
  readonly damage: string | undefined;
  readonly bytesWritten: number;
  /** When an fdatasync covering a row written by this writer last completed. */
  readonly lastSyncAt: number | undefined;
  /** Rows written by this writer that an fdatasync has covered. */
  readonly syncedRows: number;
  /** Tries to write held rows one last time, closes the file and releases the lock. */
  close(): void;
}

/**
 * "failing": writes fail, but the file was cut back to its last whole row, so retrying is safe.
 * "damaged": that could not be checked (or counted rows are gone); nothing is appended until a
 * retry re-reads the tail and finds the last row written there.
 */
type WriterState = "ok" | "failing" | "damaged";

/** How bad a damage is, to alert again only when it gets worse. */
const DAMAGE_LEVEL = { unrestored: 1, lost: 2 } as const;

/**
 * Opens (or creates) a candle CSV for appending, as its single writer: takes the lock,
 * checks the header, cuts a torn last line, and reads the last rows. Each row is one
 * write(2) on an O_APPEND fd followed by fdatasync; a failing write is cut back to the last
 * whole row and the rows are kept in memory and retried in order. When that cut cannot be
 * checked, the file is "damaged": no byte is appended until its tail is verified again.
 * With a `syncPool`, the fdatasync runs on a worker thread after the write, coalesced per file.
 */
export function createCandleWriter(options: CandleWriterOptions): CandleWriter {
  const clock = options.clock ?? systemClock;
  const fs: WriterFs = { ...NODE_FS, ...options.fs };
  /** Set when another process took the lock over (this one stalled past the lease): never append again. */
  let lockLost = false;
  const lock = acquireLock(options.path, {
    refreshMs: options.lockRefreshMs,
    onLost(holder) {
      lockLost = true;
      markDamaged({ kind: "lost", message: `the lock ${options.path}.lock was taken over${holder ? ` by pid ${holder.pid} on ${holder.hostname}` : ""}; appending stopped for good (two writers would corrupt the file): restart this recorder` });
    },
  });
  let opened: ReturnType<typeof openCsv>;
  try {
    opened = openCsv(fs, options.path, csvHeader(options.columns));
  } catch (err) {
    lock.release();
    throw err;
  }
  let fd: number | undefined = opened.fd;
  /**
   * The newest counted line: every byte before `disk.size` is a whole row, written and synced;
   * with a pool, the rows that `background` has not seen synced yet may follow the last synced one.
   */
  let disk: CsvTail = opened.tail;
  let lastOpenTime = disk.openTime;
  const held: HeldRow[] = [];
  let state: WriterState = "ok";
  let damage: FileProblem | undefined;
  let reportedLevel = 0;
  let retryDelay = RETRY_MIN_MS;
  let cancelRetry: (() => void) | undefined;
  let bytesWritten = 0;
  let lastSyncAt: number | undefined;
  let syncedRows = 0;
  let closed = false;
  /** With a pool: the rows written but not yet synced, and the sync in flight. */
  let background: BackgroundSync | undefined;
  try {
    background = options.syncPool && createBackgroundSync({ pool: options.syncPool, fs, path: options.path, durable: disk, onSynced: noteSynced, onFailed: syncFailed });
  } catch (err) {
    fs.closeSync(opened.fd);
    lock.release();
    throw err;
  }

  /**
   * Appends one row and syncs it (inline, or on the pool later); on failure cuts back to the last
   * whole row, or marks the file damaged.
   */
  function writeRow(row: HeldRow): void {
    fd ??= fs.openSync(options.path, REOPEN_FLAGS);
    const bytes = Buffer.from(row.line);
    try {
      const n = fs.writeSync(fd, bytes);
      if (n !== bytes.length) throw new Error(`short write (${n} of ${bytes.length} bytes)`);
      if (!background) fs.fdatasyncSync(fd);
    } catch (err) {
      const problem = restoreSize(fs, fd, disk.size);
      if (problem) markDamaged({ kind: problem.kind, message: `${errorMessage(err)}, then ${problem.message}` });
      throw err;
    }
    disk = { size: disk.size + bytes.length, lineStart: disk.size, line: row.line, openTime: row.openTime, prevOpenTime: disk.openTime };
    bytesWritten += bytes.length;
    if (background) background.written(row, disk);
    else noteSynced(disk, 1);
  }

  function noteSynced(tail: CsvTail, rows: number): void {
    syncedRows += rows;
    lastSyncAt = clock.now();
    if (tail.openTime !== undefined) options.onSynced?.(tail.openTime);
  }

  /**
   * A pool fdatasync failed. Linux may then have marked the pages of the rows written since the
   * last good sync clean without writing them, and a later fdatasync can succeed without writing
   * them either ("fsyncgate"); reading them back shows the page cache, not the disk. So none of
   * them counts: they go back to the front of the held rows, the file counts as ending at the last
   * synced row, and it is "damaged": nothing is appended until a retry re-opens the file, finds
   * that row where it was, and cuts what follows (checkTail); then the rows are written again,
   * dirtying their pages anew for the next sync. No row is lost, none is written twice.
   */
  function syncFailed(error: unknown, rows: HeldRow[], durable: CsvTail): void {
    if (closed) return;
    held.unshift(...rows);
    disk = durable;
    bytesWritten -= rows.reduce((sum, r) => sum + Buffer.byteLength(r.line), 0);
    markDamaged({ kind: "unrestored", message: `fdatasync failed (${errorMessage(error)}); the ${rows.length} rows written since the last good sync may not be on disk, so they are held to be written again` });
    retryLater();
  }

  /** Writes held rows in order; false (and a retry scheduled) when they cannot all be written. */
  function drain(): boolean {
    if (lockLost) return false;
    if (state === "damaged" && !repair()) return retryLater();
    while (held.length > 0) {
      try {
        writeRow(held[0]!);
      } catch (err) {
        if (state === "ok") {
          state = "failing";
          options.onFailing?.(errorMessage(err), held.length);
        }
        return retryLater();
      }
      held.shift();
    }
    if (state !== "ok") {
      state = "ok";
      reportedLevel = 0;
      retryDelay = RETRY_MIN_MS;
      options.onRecovered?.(bytesWritten);
    }
    return true;
  }

  /** Stops appending; alerts on the first problem of an episode and again if it gets worse. */
  function markDamaged(problem: FileProblem): void {
    state = "damaged";
    damage = problem;
    if (DAMAGE_LEVEL[problem.kind] <= reportedLevel) return;
    reportedLevel = DAMAGE_LEVEL[problem.kind];
    options.onDamaged?.(problem.message, held.length);
  }

  /** Damaged: re-opens the file and checks it still ends with the last row written, cutting what follows. */
  function repair(): boolean {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {}
      fd = undefined;
    }
    let problem: FileProblem | undefined;
    try {
      fd = fs.openSync(options.path, REOPEN_FLAGS);
      background?.reopen();
      problem = checkTail(fs, fd, disk);
    } catch (err) {
      const kind = (err as NodeJS.ErrnoException).code === "ENOENT" ? "lost" : "unrestored";
      problem = { kind, message: `cannot re-open ${options.path}: ${errorMessage(err)}` };
    }
    if (problem) {
      markDamaged(problem);
      return false;
    }
    state = "failing"; // appending may resume; onRecovered once every held row is written
    damage = undefined;
    return true;
  }

  function retryLater(): false {
    if (cancelRetry || closed) return false;
    cancelRetry = clock.setTimeout(() => {
      cancelRetry = undefined;
      retryDelay = Math.min(RETRY_MAX_MS, retryDelay * 2);
      drain();
    }, retryDelay);
    return false;
  }

  function rewriteLastRow(candle: Candle | undefined): boolean {
    if (closed || state !== "ok" || held.length > 0 || fd === undefined || disk.openTime === undefined) return false;
    if (background && !background.idle) return false; // a sync in flight covers the row to replace
    if (candle && disk.prevOpenTime !== undefined && candle.openTime <= disk.prevOpenTime) return false;
    let before: CsvTail;
    try {
      before = readTail(fs, fd, disk.lineStart, options.path).tail;
    } catch {
      return false;
    }
    // From here the row counts as removed: if the cut fails, nothing is appended until it is done.
    const problem = restoreSize(fs, fd, before.size);
    disk = before;
    background?.resetTo(before);
    lastOpenTime = before.openTime;
    if (problem) {
      markDamaged({ kind: problem.kind, message: `cannot remove the last row: ${problem.message}` });
      retryLater();
    }
    if (candle) {
      lastOpenTime = candle.openTime;
      held.push({ line: formatCandleRow(candle, options.columns), openTime: candle.openTime });
      if (state === "ok") drain();
    }
    return true;
  }

  /** close() with a pool: one inline fdatasync covers what the pool has not, so nothing is left unsynced. */
  function finishSync(sync: BackgroundSync): void {
    try {
      sync.finish(fd);
    } catch (err) {
      // The rows stay in the file: whether they reach the disk is unknown; the next start backfills after what is there.
      options.onDamaged?.(`the final fdatasync of ${options.path} failed (${errorMessage(err)}); the rows written since the last good sync may not be on disk`, held.length);
    }
  }

  return {
    path: options.path,
    get lastOpenTime() {
      return lastOpenTime;
    },
    repairs: { tornBytes: opened.tornBytes, tornText: opened.tornText, staleLock: lock.takenOver },
    tailRows: opened.rows,
    append(candle) {
      if (closed) return "closed";
      if (lastOpenTime !== undefined && candle.openTime <= lastOpenTime) return "duplicate";
      lastOpenTime = candle.openTime;
      held.push({ line: formatCandleRow(candle, options.columns), openTime: candle.openTime });
      if (state !== "ok") return "held";
      return drain() ? "written" : "held";
    },
    rewriteLastRow,
    get heldRows() {
      return held.length;
    },
    get damage() {
      return damage?.message;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get lastSyncAt() {
      return lastSyncAt;
    },
    get syncedRows() {
      return syncedRows;
    },
    close() {
      if (closed) return;
      cancelRetry?.();
      cancelRetry = undefined;
      closed = true;
      background?.stop();
      drain();
      if (background) finishSync(background);
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {}
      }
      lock.release();
    },
  };
}
