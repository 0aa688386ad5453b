import { hostname } from "node:os";
import type { ConsolaInstance } from "consola";
import { systemClock, type Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import { logger } from "../logger.ts";
import { ALERT_CHANNELS, channelFor, type AlertChannel, type Webhooks } from "./channels.ts";
import { createChannelSender, type ChannelSender, type SendCounters } from "./channel-sender.ts";
import { ALERT_KINDS, describeDestination, destinationFor, destinationProblem, slackDestinations, type AlertDestination, type AlertKind } from "./destinations.ts";
import { createDriver } from "./drivers.ts";
import { describeEvent, isMuted, type AlertEvent } from "./events.ts";
import { DIGEST_MAX_LINES, type TimedEvent } from "./format.ts";

export interface AlerterOptions {
  /** Slack webhook URL per channel: a shorthand for Slack `destinations`. Secret: never logged. */
  webhooks?: Webhooks;
  /** Where alerts go, on any service (see `resolveDestinations`). Secrets: never logged. @default [] */
  destinations?: AlertDestination[];
  /** Named in every message. @default os.hostname() */
  host?: string;
  /** The recorder's streams (`BTCUSDT@1h`), named in connection-wide messages; a `started` event updates them. @default [] */
  streams?: string[];
  /** @default systemClock */
  clock?: Clock;
  /** Replaces the global fetch, for every service. */
  fetch?: typeof fetch;
  /** Limit per POST. @default 10_000 */
  timeoutMs?: number;
  /** Messages kept per service while it is unreachable, its channels together; the oldest go first. @default 100 */
  maxQueue?: number;
  /** At most one message per channel and service per this; later events are folded into a digest (`alerts.min_interval`). @default 60_000 */
  minIntervalMs?: number;
  /** Send routine proactive restarts (`alerts.proactive`). @default true */
  proactive?: boolean;
  /** First retry delay after a failed POST, doubled per failure. @default 1000 */
  retryMinMs?: number;
  /** @default 60_000 */
  retryMaxMs?: number;
  /** A service's "retry after" (a 429) is honoured up to this long. @default 300_000 */
  retryAfterMaxMs?: number;
  /** @default logger.withTag("alerts") */
  log?: ConsolaInstance;
}

export interface AlertStats {
  /** Messages the services accepted. */
  sent: number;
  /** Messages waiting to be sent, plus digests waiting for `min_interval`. */
  queued: number;
  /** POST attempts that failed (timeouts, network errors, HTTP errors, rate limits). */
  failed: number;
  /** Messages given up: pushed out by the queue bound or refused by the service (4xx). */
  dropped: number;
}

/** One service's share of `AlertStats` (the `channel` label of `resilience_alerts_total`). */
export interface ChannelStats extends AlertStats {
  /** The service: slack, telegram, discord or webhook. */
  channel: AlertKind;
}

export interface Alerter {
  /** False for the no-op alerter (no destination configured). */
  readonly enabled: boolean;
  /** Queues an alert and returns at once; never throws, never waits on the network. */
  alert(event: AlertEvent): void;
  /** Sends pending digests now and waits until every queue is empty or `timeoutMs` passed; true when all was sent. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Totals over every service. */
  stats(): AlertStats;
  /** Per configured service, in the order slack, telegram, discord, webhook. */
  channelStats(): ChannelStats[];
  /** Stops timers and sending (after `flush`, at exit). Idempotent. */
  close(): void;
}

/**
 * Alerts that never block or slow the stream: `alert()` only queues; a sender per channel
 * and service (Slack, Telegram, Discord, a generic webhook) posts in the background with a
 * timeout and retries with backoff; each sends at most one message per `minIntervalMs`,
 * folding later events into a digest. Without a usable destination this is a no-op alerter.
 */
export function createAlerter(options: AlerterOptions): Alerter {
  const log = options.log ?? logger.withTag("alerts");
  const clock = options.clock ?? systemClock;
  const host = options.host ?? hostname();
  const maxQueue = Math.max(1, options.maxQueue ?? 100);
  const minIntervalMs = options.minIntervalMs ?? 60_000;
  const proactive = options.proactive ?? true;
  let streams = options.streams ?? [];
  const waiters = new Set<() => void>();
  let seq = 0;
  let closed = false;

  const destinations = _usable([...slackDestinations(options.webhooks ?? {}), ...(options.destinations ?? [])], log);
  const services = new Map<AlertKind, _Service>();
  const lanes: _Lane[] = [];
  for (const kind of ALERT_KINDS) {
    for (const channel of ALERT_CHANNELS) {
      const destination = destinationFor(kind, channel, destinations);
      if (!destination) continue;
      const service = services.get(kind) ?? { kind, counters: { sent: 0, failed: 0, dropped: 0 }, lanes: new Map() };
      services.set(kind, service);
      const sender = createChannelSender({
        driver: createDriver(destination, { timeoutMs: options.timeoutMs ?? 10_000, fetch: options.fetch }),
        clock,
        log,
        counters: service.counters,
        retryMinMs: options.retryMinMs ?? 1000,
        retryMaxMs: options.retryMaxMs ?? 60_000,
        retryAfterMaxMs: options.retryAfterMaxMs ?? 300_000,
        onSettled: _settled,
      });
      const lane: _Lane = { service, channel, sender, digest: [], extra: 0 };
      service.lanes.set(channel, lane);
      lanes.push(lane);
    }
  }
  if (lanes.length === 0) return createNoopAlerter();

  function _offer(lane: _Lane, event: AlertEvent, at: number): void {
    if (lane.digest.length === 0 && (lane.lastAt === undefined || at - lane.lastAt >= minIntervalMs)) {
      _emit(lane, [{ event, at }], 0);
      return;
    }
    if (lane.digest.length < DIGEST_MAX_LINES) lane.digest.push({ event, at });
    else lane.extra++;
    lane.cancel ??= clock.setTimeout(() => _flushDigest(lane), (lane.lastAt ?? at) + minIntervalMs - at);
  }

  function _emit(lane: _Lane, events: TimedEvent[], extra: number): void {
    lane.lastAt = clock.now();
    lane.sender.enqueue({ seq: seq++, batch: { events, extra, ctx: { channel: lane.channel, host, streams } }, events: events.length + extra });
    _bound(lane.service);
  }

  /** Keeps a service's channels together within `maxQueue` messages, dropping the oldest. */
  function _bound(service: _Service): void {
    const senders = [...service.lanes.values()].map((l) => l.sender);
    let total = senders.reduce((n, s) => n + s.queue.length, 0);
    while (total > maxQueue) {
      const oldest = senders
        .filter((s) => s.queue.length > (s.busy ? 1 : 0))
        .sort((a, b) => a.queue[a.busy ? 1 : 0]!.seq - b.queue[b.busy ? 1 : 0]!.seq)[0];
      if (!oldest?.dropOldest()) break;
      service.counters.dropped++;
      total--;
    }
  }

  function _flushDigest(lane: _Lane): void {
    lane.cancel?.();
    lane.cancel = undefined;
    if (lane.digest.length === 0) return;
    const [events, extra] = [lane.digest, lane.extra];
    lane.digest = [];
    lane.extra = 0;
    _emit(lane, events, extra);
  }

  function _settled(): void {
    for (const resolve of [...waiters]) resolve();
  }

  function _idle(): boolean {
    return lanes.every((l) => l.digest.length === 0 && l.sender.queue.length === 0);
  }

  function _statsOf(some: readonly _Lane[], counters: SendCounters): AlertStats {
    const queued = some.reduce((n, l) => n + l.sender.queue.length + (l.digest.length > 0 ? 1 : 0), 0);
    return { sent: counters.sent, queued, failed: counters.failed, dropped: counters.dropped };
  }

  return {
    enabled: true,
    alert(event) {
      try {
        if (closed || isMuted(event, { proactive })) return;
        // An event this version cannot describe is not sent (and cannot break a digest later).
        if (!describeEvent(event)) return;
        if (event.type === "started") streams = event.streams;
        const at = clock.now();
        for (const service of services.values()) {
          const lane = _laneFor(service, event);
          if (lane) _offer(lane, event, at);
        }
      } catch (err) {
        log.debug(`alert not queued: ${errorMessage(err)}`);
      }
    },
    async flush(timeoutMs) {
      for (const lane of lanes) _flushDigest(lane);
      for (const lane of lanes) lane.sender.hurry(true);
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
      for (const lane of lanes) lane.sender.hurry(false);
      return done;
    },
    stats() {
      const totals: SendCounters = { sent: 0, failed: 0, dropped: 0 };
      for (const { counters } of services.values()) {
        totals.sent += counters.sent;
        totals.failed += counters.failed;
        totals.dropped += counters.dropped;
      }
      return _statsOf(lanes, totals);
    },
    channelStats() {
      return [...services.values()].map((s) => ({ channel: s.kind, ..._statsOf([...s.lanes.values()], s.counters) }));
    },
    close() {
      closed = true;
      for (const lane of lanes) {
        lane.cancel?.();
        lane.sender.close();
      }
      _settled();
    },
  };
}

/** The alerter used when no destination is configured: every call does nothing. */
export function createNoopAlerter(): Alerter {
  return {
    enabled: false,
    alert() {},
    flush: async () => true,
    stats: () => ({ sent: 0, queued: 0, failed: 0, dropped: 0 }),
    channelStats: () => [],
    close() {},
  };
}

// --- internal ---

interface _Service {
  kind: AlertKind;
  counters: SendCounters;
  lanes: Map<AlertChannel, _Lane>;
}

/** One channel on one service: its sender, and the digest waiting for `min_interval`. */
interface _Lane {
  service: _Service;
  channel: AlertChannel;
  sender: ChannelSender;
  lastAt?: number;
  digest: TimedEvent[];
  extra: number;
  cancel?: () => void;
}

/** The event's channel on a service, else that service's `events` channel. */
function _laneFor(service: _Service, event: AlertEvent): _Lane | undefined {
  return service.lanes.get(channelFor(event)) ?? service.lanes.get("events");
}

/** Drops destinations that cannot work, saying so once each (redacted); the others are used. */
function _usable(destinations: AlertDestination[], log: ConsolaInstance): AlertDestination[] {
  return destinations.filter((d) => {
    const problem = destinationProblem(d);
    if (problem) log.warn(`${describeDestination(d)} ${problem}; that channel is off`);
    return !problem;
  });
}
