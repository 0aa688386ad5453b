import type { ConsolaInstance } from "consola";
import type { Clock } from "../clock.ts";
import type { AlertChannel } from "./channels.ts";
import { formatDropNote } from "./format.ts";
import { redactWebhook } from "./redact.ts";
import type { PostOutcome } from "./slack-post.ts";

export interface QueuedMessage {
  /** Global order, to find the oldest message across channels. */
  seq: number;
  text: string;
  /** Events folded into it (a digest holds several). */
  events: number;
}

export interface SendCounters {
  sent: number;
  failed: number;
  dropped: number;
}

export interface ChannelSenderOptions {
  channel: AlertChannel;
  url: string;
  clock: Clock;
  post: (url: string, text: string) => Promise<PostOutcome>;
  log: ConsolaInstance;
  counters: SendCounters;
  /** First retry delay, doubled per failure. */
  retryMinMs: number;
  retryMaxMs: number;
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
  /** Retries now instead of waiting out the backoff; `urgent` caps later waits (shutdown flush). */
  hurry(urgent: boolean): void;
  close(): void;
}

/** Caps backoff waits while flushing at shutdown. */
const URGENT_RETRY_MS = 250;

/**
 * Sends one channel's messages in order, one POST at a time, in the background.
 * Retryable failures keep the message and retry with exponential backoff, so alerts
 * raised while the network is down arrive once it is back; a refused message (4xx) is
 * dropped. Failures are logged once per episode, with the webhook redacted.
 */
export function createChannelSender(options: ChannelSenderOptions): ChannelSender {
  const { channel, url, clock, log, counters } = options;
  const queue: QueuedMessage[] = [];
  let busy = false;
  let cancelWait: (() => void) | undefined;
  let failures = 0;
  let failing = false;
  let unreportedDrops = 0;
  let urgent = false;
  let closed = false;
  const where = `Slack ${channel} webhook ${redactWebhook(url)}`;

  async function pump(): Promise<void> {
    if (closed || busy || cancelWait || queue.length === 0) return;
    const message = queue[0]!;
    const drops = unreportedDrops;
    busy = true;
    let outcome: PostOutcome;
    try {
      outcome = await options.post(url, drops > 0 ? `${formatDropNote(drops)}\n${message.text}` : message.text);
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
      if (!failing) log.warn(`${where}: ${outcome.reason}; ${outcome.retryable ? "alerts are kept and retried" : "alert dropped; check the webhook URL"}`);
      else log.debug(`${where}: ${outcome.reason}`);
      failing = true;
      if (!outcome.retryable) {
        _remove(message);
        counters.dropped++;
      } else {
        failures++;
        const delay = Math.min(options.retryMaxMs, options.retryMinMs * 2 ** (failures - 1));
        cancelWait = clock.setTimeout(() => {
          cancelWait = undefined;
          void pump();
        }, urgent ? Math.min(delay, URGENT_RETRY_MS) : delay);
      }
    }
    options.onSettled();
    void pump();
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
      if (cancelWait) {
        cancelWait();
        cancelWait = undefined;
      }
      void pump();
    },
    close() {
      closed = true;
      cancelWait?.();
      cancelWait = undefined;
    },
  };
}
