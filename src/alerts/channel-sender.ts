import type { ConsolaInstance } from "consola";
import type { Clock } from "../clock.ts";
import type { AlertDriver } from "./drivers.ts";
import type { AlertBatch } from "./format.ts";
import type { PostOutcome } from "./http-post.ts";

export interface QueuedMessage {
  /** Order across channels, to find the oldest message. */
  seq: number;
  /** What to say; each service formats it its own way when it is sent. */
  batch: AlertBatch;
  /** Events folded into it (a digest holds several). */
  events: number;
}

export interface SendCounters {
  sent: number;
  failed: number;
  dropped: number;
}

export interface ChannelSenderOptions {
  driver: AlertDriver;
  clock: Clock;
  log: ConsolaInstance;
  /** This service's counters (shared by its channels). */
  counters: SendCounters;
  /** First retry delay, doubled per failure. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Longest wait a service's rate-limit answer (a 429's retry-after) is honoured for. */
  retryAfterMaxMs: number;
  /** Called after each attempt (the alerter checks whether a flush is done). */
  onSettled: () => void;
}

export interface ChannelSender {
  readonly queue: readonly QueuedMessage[];
  /** True while a POST is in flight. */
  readonly busy: boolean;
  enqueue(message: QueuedMessage): void;
  /** Removes the oldest message not in flight (the queue bound); it is said in the next message. */
  dropOldest(): QueuedMessage | undefined;
  /** Retries now instead of waiting out the backoff; `urgent` caps later waits (shutdown flush). A rate limit is still waited out. */
  hurry(urgent: boolean): void;
  close(): void;
}

/** Caps backoff waits while flushing at shutdown. */
const URGENT_RETRY_MS = 250;

/**
 * Sends one channel's messages to one service in order, one POST at a time, in the
 * background. Retryable failures keep the message and retry with exponential backoff, or
 * after the time a rate-limit answer asked for, so alerts raised while the network is down
 * arrive once it is back; a refused message (4xx) is dropped. Failures are logged once per
 * episode, secrets redacted.
 */
export function createChannelSender(options: ChannelSenderOptions): ChannelSender {
  const { driver, clock, log, counters } = options;
  const where = driver.label;
  const queue: QueuedMessage[] = [];
  let busy = false;
  let cancelWait: (() => void) | undefined;
  /** Set while waiting out a rate limit: `hurry` must not cut it short. */
  let limitedUntil = 0;
  let failures = 0;
  let failing = false;
  let unreportedDrops = 0;
  let urgent = false;
  let closed = false;

  async function pump(): Promise<void> {
    if (closed || busy || cancelWait || queue.length === 0) return;
    const message = queue[0]!;
    const drops = unreportedDrops;
    busy = true;
    let outcome: PostOutcome;
    try {
      outcome = await driver.send(message.batch, drops);
    } catch {
      outcome = { ok: false, retryable: true, reason: "unexpected error while posting" };
    }
    busy = false;
    if (closed) return;
    if (outcome.ok) {
      _remove(message);
      counters.sent++;
      unreportedDrops -= drops;
      failures = 0;
      if (failing) log.info(`${where} works again; ${queue.length} queued alert(s) left`);
      failing = false;
    } else {
      counters.failed++;
      if (!failing) log.warn(`${where}: ${outcome.reason}; ${outcome.retryable ? "alerts are kept and retried" : `alert dropped; ${driver.refusedHint}`}`);
      else log.debug(`${where}: ${outcome.reason}`);
      failing = true;
      if (!outcome.retryable) {
        _remove(message);
        counters.dropped++;
      } else _wait(outcome.retryAfterMs);
    }
    options.onSettled();
    void pump();
  }

  /** Waits before the next attempt: a rate limit's time (bounded), else the backoff. */
  function _wait(retryAfterMs: number | undefined): void {
    let delay: number;
    if (retryAfterMs !== undefined) {
      delay = Math.min(retryAfterMs, options.retryAfterMaxMs);
      limitedUntil = clock.now() + delay;
    } else {
      failures++;
      const backoff = Math.min(options.retryMaxMs, options.retryMinMs * 2 ** (failures - 1));
      delay = urgent ? Math.min(backoff, URGENT_RETRY_MS) : backoff;
    }
    _arm(delay);
  }

  function _arm(delay: number): void {
    cancelWait = clock.setTimeout(() => {
      cancelWait = undefined;
      void pump();
    }, delay);
  }

  function _remove(message: QueuedMessage): void {
    const i = queue.indexOf(message);
    if (i >= 0) queue.splice(i, 1);
  }

  return {
    queue,
    get busy() {
      return busy;
    },
    enqueue(message) {
      queue.push(message);
      void pump();
    },
    dropOldest() {
      const index = busy ? 1 : 0;
      const [dropped] = queue.splice(index, 1);
      if (dropped) unreportedDrops += dropped.events;
      return dropped;
    },
    hurry(isUrgent) {
      urgent = isUrgent;
      if (!cancelWait) return void pump();
      cancelWait();
      cancelWait = undefined;
      const limitLeft = limitedUntil - clock.now();
      if (limitLeft > 0) _arm(limitLeft);
      else void pump();
    },
    close() {
      closed = true;
      cancelWait?.();
      cancelWait = undefined;
    },
  };
}
