import type { Clock } from "../clock.ts";
import { candleOpenAt, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";
import type { SimKline } from "./candles.ts";
import type { Market } from "./market.ts";
import { parseStreamName, type StreamRef } from "./streams.ts";

/** Binance's update pace: every 1 s for 1s klines, every 2 s for the others. */
export function updatePaceMs(interval: Interval): number {
  return interval === "1s" ? 1000 : 2000;
}

/**
 * When the next event of a stream is due after `now`: an in-progress update on the
 * pace (at +500 ms for 1s klines, +2 s, +4 s … otherwise) or the close at the boundary,
 * whichever comes first. Pure.
 */
export function nextEventTime(interval: Interval, now: number): number {
  const open = candleOpenAt(interval, now);
  const boundary = nextOpenTime(interval, open);
  const pace = updatePaceMs(interval);
  const first = open + (interval === "1s" ? 500 : pace);
  const next = now < first ? first : first + (Math.floor((now - first) / pace) + 1) * pace;
  return Math.min(next, boundary);
}

/** One kline event of one stream; `closed` is the final x:true event. */
export interface FeedEvent {
  stream: string;
  kline: SimKline;
  closed: boolean;
}

export interface FeedOptions<S> {
  market: Market;
  clock: Clock;
  /** Delivers the events of one tick to one subscriber, in stream subscription order. */
  deliver(subscriber: S, events: FeedEvent[]): void;
  /**
   * Intervals the market streams; a kline stream of another (`@kline_1s` on futures) is
   * accepted and sends nothing, like any stream Binance does not have. @default every interval
   */
  intervals?: ReadonlySet<Interval>;
}

export interface Feed<S> {
  /**
   * Starts delivering `stream` to `subscriber`. A kline stream of a symbol not listed yet
   * delivers from its listing; names that are not kline streams deliver nothing.
   */
  add(stream: string, subscriber: S): void;
  remove(stream: string, subscriber: S): void;
  stop(): void;
}

/** After a late tick (a blocked event loop, a suspended machine), at most this many missed closes are sent. */
export const MAX_CATCH_UP_CANDLES = 60;

/**
 * Every stream of one interval shares the same event times (`nextEventTime`), so the
 * feed keeps one group per interval and one timer for all: each tick computes the due
 * groups' events (the close right after each boundary, in-progress updates in between)
 * and hands each subscriber its batch. Exchange gaps, halts and unlisted symbols send
 * nothing.
 */
export function createFeed<S>(options: FeedOptions<S>): Feed<S> {
  const { market, clock, deliver, intervals } = options;
  const groups = new Map<Interval, Group<S>>();
  let armedAt = Infinity;
  let cancel = () => {};
  const arm = () => {
    let due = Infinity;
    for (const group of groups.values()) due = Math.min(due, group.due);
    if (due === armedAt) return;
    cancel();
    armedAt = due;
    if (due !== Infinity) cancel = clock.setTimeout(tick, due - clock.now());
  };
  const tick = () => {
    armedAt = Infinity;
    const now = clock.now();
    const batches = new Map<S, FeedEvent[]>();
    for (const group of groups.values()) {
      if (group.due > now) continue;
      for (const entry of group.streams.values()) {
        for (const event of _events(market, entry, now)) {
          for (const subscriber of entry.subscribers) {
            const batch = batches.get(subscriber);
            if (batch) batch.push(event);
            else batches.set(subscriber, [event]);
          }
        }
      }
      group.due = nextEventTime(group.interval, now);
    }
    for (const [subscriber, events] of batches) deliver(subscriber, events);
    arm();
  };
  return {
    add(name, subscriber) {
      const ref = parseStreamName(name);
      if (!ref || (intervals && !intervals.has(ref.interval))) return;
      const now = clock.now();
      let group = groups.get(ref.interval);
      if (!group) groups.set(ref.interval, (group = { interval: ref.interval, due: nextEventTime(ref.interval, now), streams: new Map() }));
      const existing = group.streams.get(name);
      if (existing) existing.subscribers.add(subscriber);
      else group.streams.set(name, { name, ref, subscribers: new Set([subscriber]), lastClosed: previousOpenTime(ref.interval, candleOpenAt(ref.interval, now)) });
      arm();
    },
    remove(name, subscriber) {
      const ref = parseStreamName(name);
      const group = ref && groups.get(ref.interval);
      const entry = group?.streams.get(name);
      if (!group || !entry) return;
      entry.subscribers.delete(subscriber);
      if (entry.subscribers.size > 0) return;
      group.streams.delete(name);
      if (group.streams.size === 0) groups.delete(group.interval);
      arm();
    },
    stop() {
      groups.clear();
      cancel();
      armedAt = Infinity;
    },
  };
}

// --- internal ---

interface Entry<S> {
  name: string;
  ref: StreamRef;
  subscribers: Set<S>;
  /** Open time of the last candle whose close was handled. */
  lastClosed: number;
}

interface Group<S> {
  interval: Interval;
  /** When this interval's next event is due. */
  due: number;
  streams: Map<string, Entry<S>>;
}

/** The events of one stream at `now`: the closes since the last one, else the live update. */
function _events<S>(market: Market, entry: Entry<S>, now: number): FeedEvent[] {
  const { symbol, interval } = entry.ref;
  const open = candleOpenAt(interval, now);
  const closed = previousOpenTime(interval, open);
  if (closed <= entry.lastClosed) {
    const live = market.live(symbol, interval, open, now);
    return live ? [{ stream: entry.name, kline: live, closed: false }] : [];
  }
  const opens: number[] = [];
  for (let t = closed; t > entry.lastClosed && opens.length < MAX_CATCH_UP_CANDLES; t = previousOpenTime(interval, t)) opens.push(t);
  entry.lastClosed = closed;
  const events: FeedEvent[] = [];
  for (const t of opens.reverse()) {
    const kline = market.kline(symbol, interval, t);
    if (kline) events.push({ stream: entry.name, kline, closed: true });
  }
  return events;
}
