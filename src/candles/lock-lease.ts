import { statSync, utimesSync } from "node:fs";
import type { Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import { logger } from "../logger.ts";
import { readIfPresent } from "./exclusive-file.ts";

/**
 * The lease of a lock whose holder cannot be checked from here by its pid: one in another
 * container's pid namespace, or on another host sharing the filesystem. The holder touches
 * the lock file's mtime every LOCK_REFRESH_MS while it holds the lock; such a lock left
 * untouched for LOCK_LEASE_MS has lost its holder (a rebuilt container, a dead host).
 * The mtime is set by the holder's clock and aged by the reader's, so hosts sharing a
 * filesystem must agree on the time to well within LOCK_LEASE_MS - LOCK_REFRESH_MS (NTP does).
 */

/** How often a holder touches its lock. */
export const LOCK_REFRESH_MS = 10_000;
/** A lock not checkable by pid and untouched for this long (six missed refreshes) is stale. */
export const LOCK_LEASE_MS = 60_000;

export interface LeaseRefreshOptions {
  /** Time between two refreshes. @default LOCK_REFRESH_MS */
  refreshMs?: number;
  /** Dates the refreshes. */
  clock: Pick<Clock, "now">;
  /** Called once, with the lock's text now (undefined: removed), when it is no longer ours; refreshing stops. */
  onLost(raw: string | undefined): void;
}

/** Milliseconds since `path` was last refreshed (its mtime) at `now`; undefined if it is gone. */
export function leaseAgeMs(path: string, now: number): number | undefined {
  try {
    return now - statSync(path).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Touches `lockPath` every `refreshMs` for as long as it reads `content` (ours); returns the
 * function that stops it. The timer is unref'd: a held lock never keeps the process alive.
 */
export function startLeaseRefresh(lockPath: string, content: string, options: LeaseRefreshOptions): () => void {
  const refreshMs = options.refreshMs ?? LOCK_REFRESH_MS;
  let failing = false;
  const timer = setInterval(() => {
    let raw: string | undefined;
    try {
      raw = readIfPresent(lockPath);
      if (raw === content) {
        const at = new Date(options.clock.now());
        utimesSync(lockPath, at, at);
        failing = false;
        return;
      }
    } catch (err) {
      // A disk hiccup: keep trying; the lease survives up to LOCK_LEASE_MS of them.
      if (!failing) _log.warn(`cannot refresh the lock ${lockPath} (${errorMessage(err)}); retrying every ${refreshMs / 1000} s`);
      failing = true;
      return;
    }
    clearInterval(timer);
    options.onLost(raw);
  }, refreshMs);
  timer.unref();
  return () => clearInterval(timer);
}

// --- internal ---

const _log = logger.withTag("lock");
