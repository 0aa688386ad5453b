import { hostname } from "node:os";
import type { ConsolaInstance } from "consola";
import { systemClock, type Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import { logger } from "../logger.ts";
import { ALERT_CHANNELS, channelFor, webhookFor, webhookProblem, type AlertChannel, type Webhooks } from "./channels.ts";
import { createChannelSender, type ChannelSender, type SendCounters } from "./channel-sender.ts";
import { describeEvent, isMuted, type AlertEvent } from "./events.ts";
import { DIGEST_MAX_LINES, formatAlertMessage, type TimedEvent } from "./format.ts";
import { redactWebhook } from "./redact.ts";
import { postToSlack } from "./slack-post.ts";

export interface AlerterOptions {
  /** Webhook URL per channel (see `resolveWebhooks`). Secret: never logged. */
  webhooks: Webhooks;
  /** Named in every message. @default os.hostname() */
  host?: string;
  /** The recorder's streams (`BTCUSDT@1h`), named in connection-wide messages; a `started` event updates them. @default [] */
  streams?: string[];
  /** @default systemClock */
  clock?: Clock;
  /** Replaces the global fetch (passed to IncomingWebhook). */
  fetch?: typeof fetch;
  /** Limit per POST. @default 10_000 */
  timeoutMs?: number;
  /** Messages kept while Slack is unreachable, all channels together; the oldest go first. @default 100 */
  maxQueue?: number;
  /** At most one message per channel per this; later events are folded into a digest (`alerts.min_interval`). @default 60_000 */
  minIntervalMs?: number;
  /** Send routine proactive restarts (`alerts.proactive`). @default true */
  proactive?: boolean;
  /** First retry delay after a failed POST, doubled per failure. @default 1000 */
  retryMinMs?: number;
  /** @default 60_000 */
  retryMaxMs?: number;
  /** @default logger.withTag("alerts") */
  log?: ConsolaInstance;
}

export interface AlertStats {
  /** Messages Slack accepted. */
  sent: number;
  /** Messages waiting to be sent, plus digests waiting for `min_interval`. */
  queued: number;
  /** POST attempts that failed (timeouts, network errors, HTTP errors). */
  failed: number;
  /** Messages given up: pushed out by the queue bound or refused by Slack (4xx). */
  dropped: number;
}

export interface Alerter {
  /** False for the no-op alerter (no channel configured). */
  readonly enabled: boolean;
  /** Queues an alert and returns at once; never throws, never waits on the network. */
  alert(event: AlertEvent): void;
  /** Sends pending digests now and waits until every queue is empty or `timeoutMs` passed; true when all was sent. */
  flush(timeoutMs: number): Promise<boolean>;
  stats(): AlertStats;
  /** Stops timers and sending (after `flush`, at exit). Idempotent. */
  close(): void;
}

/**
 * Slack alerts that never block or slow the stream: `alert()` only queues; a sender
 * per channel posts in the background with a timeout and retries with backoff; each
 * channel sends at most one message per `minIntervalMs`, folding later events into a
 * digest. Without a usable webhook this is a no-op alerter.
 */
export function createAlerter(options: AlerterOptions): Alerter {
  const log = options.log ?? logger.withTag("alerts");
  const clock = options.clock ?? systemClock;
  const host = options.host ?? hostname();
  const maxQueue = Math.max(1, options.maxQueue ?? 100);
  const minIntervalMs = options.minIntervalMs ?? 60_000;
  const proactive = options.proactive ?? true;
  let streams = options.streams ?? [];
  const counters: SendCounters = { sent: 0, failed: 0, dropped: 0 };
  const waiters = new Set<() => void>();
  let seq = 0;
  let closed = false;

  const webhooks = _usableWebhooks(options.webhooks, log);
  if (!ALERT_CHANNELS.some((c) => webhookFor(c, webhooks))) return createNoopAlerter();

  const senders = new Map<string, ChannelSender>();
  const lanes = new Map<AlertChannel, { sender: ChannelSender; lastAt?: number; digest: TimedEvent[]; extra: number; cancel?: () => void }>();
  for (const channel of ALERT_CHANNELS) {
    const url = webhookFor(channel, webhooks);
    if (!url) continue;
    const sender = createChannelSender({
      channel,
      url,
      clock,
      log,
      counters,
      post: (u, text) => postToSlack(u, text, { timeoutMs: options.timeoutMs ?? 10_000, fetch: options.fetch }),
      retryMinMs: options.retryMinMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
      onSettled: _settled,
    });
    senders.set(channel, sender);
    lanes.set(channel, { sender, digest: [], extra: 0 });
  }

  function _emit(channel: AlertChannel, events: TimedEvent[], extra: number): void {
    const lane = lanes.get(channel)!;
    lane.lastAt = clock.now();
    lane.sender.enqueue({ seq: seq++, text: formatAlertMessage(events, { channel, host, streams }, extra), events: events.length + extra });
    _bound();
  }

  /** Keeps all channels together within `maxQueue` messages, dropping the oldest. */
  function _bound(): void {
    let total = [...senders.values()].reduce((n, s) => n + s.queue.length, 0);
    while (total > maxQueue) {
      const oldest = [...senders.values()]
        .filter((s) => s.queue.length > (s.busy ? 1 : 0))
        .sort((a, b) => a.queue[a.busy ? 1 : 0]!.seq - b.queue[b.busy ? 1 : 0]!.seq)[0];
      if (!oldest?.dropOldest()) break;
      counters.dropped++;
      total--;
    }
  }

  function _flushDigest(channel: AlertChannel): void {
    const lane = lanes.get(channel)!;
    lane.cancel?.();
    lane.cancel = undefined;
    if (lane.digest.length === 0) return;
    const [events, extra] = [lane.digest, lane.extra];
    lane.digest = [];
    lane.extra = 0;
    _emit(channel, events, extra);
  }

  function _settled(): void {
    for (const resolve of [...waiters]) resolve();
  }

  function _idle(): boolean {
    return [...lanes.values()].every((l) => l.digest.length === 0 && l.sender.queue.length === 0);
  }

  return {
    enabled: true,
    alert(event) {
      try {
        if (closed || isMuted(event, { proactive })) return;
        // An event this version cannot describe is not sent (and cannot break a digest later).
        if (!describeEvent(event)) return;
        if (event.type === "started") streams = event.streams;
        const channel = _laneFor(event);
        const lane = channel && lanes.get(channel);
        if (!channel || !lane) return;
        const at = clock.now();
        if (lane.digest.length === 0 && (lane.lastAt === undefined || at - lane.lastAt >= minIntervalMs)) {
          _emit(channel, [{ event, at }], 0);
          return;
        }
        if (lane.digest.length < DIGEST_MAX_LINES) lane.digest.push({ event, at });
        else lane.extra++;
        lane.cancel ??= clock.setTimeout(() => _flushDigest(channel), (lane.lastAt ?? at) + minIntervalMs - at);
      } catch (err) {
        log.debug(`alert not queued: ${errorMessage(err)}`);
      }
    },
    async flush(timeoutMs) {
      for (const channel of lanes.keys()) _flushDigest(channel);
      for (const sender of senders.values()) sender.hurry(true);
      let cancelTimeout: (() => void) | undefined;
      const done = await new Promise<boolean>((resolve) => {
        const check = () => {
          if (!_idle()) return;
          waiters.delete(check);
          resolve(true);
        };
        waiters.add(check);
        cancelTimeout = clock.setTimeout(() => {
          waiters.delete(check);
          resolve(_idle());
        }, timeoutMs);
        check();
      });
      cancelTimeout?.();
      for (const sender of senders.values()) sender.hurry(false);
      return done;
    },
    stats() {
      const queued = [...lanes.values()].reduce((n, l) => n + l.sender.queue.length + (l.digest.length > 0 ? 1 : 0), 0);
      return { ...counters, queued };
    },
    close() {
      closed = true;
      for (const lane of lanes.values()) {
        lane.cancel?.();
        lane.sender.close();
      }
      _settled();
    },
  };

  function _laneFor(event: AlertEvent): AlertChannel | undefined {
    const channel = channelFor(event);
    if (lanes.has(channel)) return channel;
    return lanes.has("events") ? "events" : undefined;
  }
}

/** The alerter used when no Slack channel is configured: every call does nothing. */
export function createNoopAlerter(): Alerter {
  return {
    enabled: false,
    alert() {},
    flush: async () => true,
    stats: () => ({ sent: 0, queued: 0, failed: 0, dropped: 0 }),
    close() {},
  };
}

// --- internal ---

/** Drops webhooks that cannot work, saying so once (redacted); the others are used. */
function _usableWebhooks(webhooks: Webhooks, log: ConsolaInstance): Webhooks {
  const out: Webhooks = {};
  for (const channel of ALERT_CHANNELS) {
    const url = webhooks[channel];
    if (!url) continue;
    const problem = webhookProblem(url);
    if (problem) log.warn(`Slack ${channel} webhook ${redactWebhook(url)} ${problem}; that channel is off`);
    else out[channel] = url;
  }
  return out;
}
