/**
 * fdatasync on worker threads. At the minute's close ~1,500 files each need one; done in turn
 * on the main thread they block it for ~500 ms, and Bun's async fs.fdatasync (its small
 * threadpool) still leaves a p99 of ~330 ms. Sixteen threads each waiting on one sync at a
 * time let the disk take many at once (p99 ~100 ms), while the main thread only posts messages.
 *
 * The workers run inline code from a Blob URL: a `new Worker(new URL("./x.ts", import.meta.url))`
 * would need its own entrypoint in `bun build --compile`, and `src/cli.ts` is the only one.
 */

/** Worker threads at most; each waits on one fdatasync at a time. */
export const SYNC_POOL_THREADS = 16;

export interface SyncPoolOptions {
  /**
   * Worker threads at most, each started when every running one is busy. Starting one takes the
   * main thread ~6 ms here, so the first burst pays ~100 ms once. @default SYNC_POOL_THREADS
   */
  threads?: number;
}

export interface SyncPool {
  /**
   * fdatasync(fd) on a worker thread; rejects with the errno error (`code`, `errno`, `syscall`).
   * Keep `fd` open until this settles: it settles only once no thread can still use the number.
   */
  sync(fd: number): Promise<void>;
  /**
   * Stops the threads (idempotent). Syncs not done reject (code ERR_SYNC_POOL_CLOSED) once their
   * thread has stopped, later ones at once. Close the writers first.
   */
  close(): void;
  /** Syncs asked for and not settled yet. */
  readonly pending: number;
}

/** What a worker answers: undefined when the sync worked, else the error's fields. */
type Reply = { code?: string; errno?: number; message: string } | undefined;

const WORKER_SOURCE = `
import { fdatasyncSync } from "node:fs";
self.onmessage = (event) => {
  try {
    fdatasyncSync(event.data);
    postMessage(undefined);
  } catch (err) {
    postMessage({ code: err?.code, errno: err?.errno, message: String(err?.message ?? err) });
  }
};
`;

/**
 * A pool of worker threads that fdatasync file descriptors (which the whole process shares).
 * Each sync goes at once to the thread with the fewest, so a thread never waits for the main
 * thread to hand it the next one (a busy main thread would otherwise idle them all, costing
 * ~50% on the p99 of a burst). Threads start when every running one is busy, and hold the
 * process open only while they have syncs.
 */
export function createSyncPool(options: SyncPoolOptions = {}): SyncPool {
  const threads = options.threads ?? SYNC_POOL_THREADS;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, not ${threads}`);
  const slots = new Set<_Slot>();
  let url: string | undefined;
  let pending = 0;
  let closed = false;

  function settle(job: _Job, error?: Error): void {
    pending--;
    if (error) job.reject(error);
    else job.resolve();
  }

  /** An idle thread, else a new one while under the limit, else the one with the fewest syncs. */
  function pick(): _Slot {
    let best: _Slot | undefined;
    for (const slot of slots) {
      if (slot.stopping) continue;
      if (slot.jobs.length === 0) return slot;
      if (!best || slot.jobs.length < best.jobs.length) best = slot;
    }
    return best && slots.size >= threads ? best : spawn();
  }

  function spawn(): _Slot {
    url ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    const slot: _Slot = { worker: new Worker(url, { ref: false }), jobs: [], stopping: false, problem: undefined };
    slots.add(slot);
    slot.worker.onmessage = (event: MessageEvent<Reply>) => {
      const job = slot.jobs.shift();
      if (slot.jobs.length === 0) slot.worker.unref();
      if (job) settle(job, event.data && _errnoError(event.data));
    };
    slot.worker.addEventListener("error", (event) => {
      // Its state is unknown: stop it; its syncs fail once it has stopped, below.
      slot.problem = event.message;
      slot.stopping = true;
      slot.worker.terminate();
    });
    slot.worker.addEventListener("close", () => {
      slots.delete(slot);
      const error = closed ? _poolError("the sync pool was closed before the sync was done") : _poolError(`a sync thread stopped: ${slot.problem ?? "no reason given"}`, "ERR_SYNC_THREAD_STOPPED");
      for (const job of slot.jobs.splice(0)) settle(job, error);
    });
    return slot;
  }

  return {
    sync(fd) {
      if (closed) return Promise.reject(_poolError("the sync pool is closed"));
      if (!Number.isInteger(fd) || fd < 0) return Promise.reject(new TypeError(`not a file descriptor: ${fd}`));
      return new Promise<void>((resolve, reject) => {
        const slot = pick();
        pending++;
        slot.jobs.push({ resolve, reject });
        if (slot.jobs.length === 1) slot.worker.ref();
        slot.worker.postMessage(fd);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      // Syncs already posted reject on each thread's "close" event: only then is its fd out of use.
      for (const slot of slots) {
        slot.stopping = true;
        slot.worker.unref();
        slot.worker.terminate();
      }
      if (url) URL.revokeObjectURL(url);
    },
    get pending() {
      return pending;
    },
  };
}

// --- internal ---

interface _Job {
  resolve(): void;
  reject(error: Error): void;
}

interface _Slot {
  worker: Worker;
  /** Syncs posted to this thread, oldest first (it answers in order); each fd is in use until answered. */
  jobs: _Job[];
  stopping: boolean;
  problem: string | undefined;
}

function _errnoError(reply: NonNullable<Reply>): NodeJS.ErrnoException {
  return Object.assign(new Error(reply.message), { code: reply.code, errno: reply.errno, syscall: "fdatasync" });
}

function _poolError(message: string, code = "ERR_SYNC_POOL_CLOSED"): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
