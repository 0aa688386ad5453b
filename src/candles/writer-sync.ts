import { constants } from "node:fs";
import type { SyncPool } from "./sync-pool.ts";
import type { CsvTail, HeldRow, WriterFs } from "./writer-file.ts";

export interface BackgroundSyncOptions {
  pool: SyncPool;
  fs: WriterFs;
  path: string;
  /** The newest row known to be on disk when this starts. */
  durable: CsvTail;
  /** A pool sync completed: `tail` and every row before it are on disk; `rows` were newly covered. */
  onSynced(tail: CsvTail, rows: number): void;
  /**
   * A pool sync failed. Every row written since `durable` is handed back, oldest first: none
   * of them is known to be on disk any more. Called asynchronously, never inside another call.
   */
  onFailed(error: unknown, rows: HeldRow[], durable: CsvTail): void;
}

/** The fdatasync side of one writer on a SyncPool: at most one sync in flight, the rest coalesced. */
export interface BackgroundSync {
  /** A row's write(2) returned: the sync in flight (if any) does not cover it, the next one will. */
  written(row: HeldRow, tail: CsvTail): void;
  /** The writer re-opened its file (repair): so does this; the old descriptor closes once no sync uses it. */
  reopen(): void;
  /** The file was cut back to `tail` (rewriteLastRow). Only while `idle`. */
  resetTo(tail: CsvTail): void;
  /** close() begins: no more pool syncs start; rows written from now on wait for finish(). */
  stop(): void;
  /**
   * close() ends: fdatasync `fd` inline, covering every row written. Throws the errno error (the
   * rows stay unsynced). The sync descriptor closes now, or once the sync in flight on it settles.
   */
  finish(fd: number | undefined): void;
  /** No sync in flight and every row written is covered. */
  readonly idle: boolean;
}

/**
 * The pool syncs a descriptor of its own (opened read-only on the same file), not the writer's:
 * its number stays open until the pool's sync of it settles, so no sync can reach a file that
 * reused the number after the writer closed or re-opened its own. Separate descriptors also
 * keep Linux's writeback error reporting apart (since 4.13 each open file description is told
 * of an error once): an fdatasync on the writer's descriptor (a rollback, close) cannot swallow
 * the error the pool's sync must see, nor the other way round.
 */
export function createBackgroundSync(options: BackgroundSyncOptions): BackgroundSync {
  const { pool, fs, path } = options;
  let durable = options.durable;
  const unsynced: { row: HeldRow; tail: CsvTail; seq: number }[] = [];
  let seq = 0;
  let syncFd: number | undefined = _openSyncFd(fs, path);
  let flight: { fd: number; seq: number; orphaned: boolean } | undefined;
  let stopped = false;
  let finished = false;

  /** Starts a sync covering every row written so far, unless one is in flight. */
  function kick(): void {
    if (stopped || flight || unsynced.length === 0) return;
    if (syncFd === undefined) return; // re-opening failed: the writer is damaged and will reopen()
    const current = (flight = { fd: syncFd, seq: unsynced[unsynced.length - 1]!.seq, orphaned: false });
    new Promise<void>((resolve) => resolve(pool.sync(current.fd))).then(
      () => settled(current, undefined),
      (err: unknown) => settled(current, err ?? new Error("fdatasync failed")),
    );
  }

  function settled(done: NonNullable<typeof flight>, error: unknown): void {
    flight = undefined;
    if (done.orphaned) _closeQuietly(fs, done.fd);
    // After finish() the writer's own inline fdatasync has covered every row (and, being on its own
    // file description, would have reported this writeback error too): nothing is left to do.
    if (finished) return;
    if (error !== undefined) {
      const rows = unsynced.splice(0).map((u) => u.row);
      return options.onFailed(error, rows, durable);
    }
    let covered = 0;
    while (unsynced.length > 0 && unsynced[0]!.seq <= done.seq) {
      durable = unsynced.shift()!.tail;
      covered++;
    }
    if (covered > 0) options.onSynced(durable, covered);
    kick();
  }

  /** Closes the sync descriptor now, or when the sync in flight on it settles. */
  function retire(): void {
    if (syncFd === undefined) return;
    if (flight?.fd === syncFd) flight.orphaned = true;
    else _closeQuietly(fs, syncFd);
    syncFd = undefined;
  }

  return {
    written(row, tail) {
      unsynced.push({ row, tail, seq: ++seq });
      kick();
    },
    reopen() {
      retire();
      syncFd = _openSyncFd(fs, path);
      kick();
    },
    resetTo(tail) {
      if (flight || unsynced.length > 0) throw new Error("resetTo() while a sync is owed");
      durable = tail;
    },
    stop() {
      stopped = true;
    },
    finish(fd) {
      if (finished) return;
      stopped = finished = true;
      retire();
      if (unsynced.length === 0) return;
      if (fd === undefined) throw new Error("the file is not open");
      fs.fdatasyncSync(fd);
      const rows = unsynced.length;
      durable = unsynced.splice(0)[rows - 1]!.tail;
      options.onSynced(durable, rows);
    },
    get idle() {
      return flight === undefined && unsynced.length === 0;
    },
  };
}

// --- internal ---

function _openSyncFd(fs: WriterFs, path: string): number {
  return fs.openSync(path, constants.O_RDONLY);
}

function _closeQuietly(fs: WriterFs, fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {}
}
