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

export interface FeedOptions<S> {
  market: Market;
  clock: Clock;
  /** Delivers one event of `stream` to a subscriber; `closed` is the final x:true event. */
  send(subscriber: S, stream: string, kline: SimKline, closed: boolean): void;
}

export interface Feed<S> {
  /** Starts delivering `stream` to `subscriber`; names that are not a known kline stream deliver nothing. */
  add(stream: string, subscriber: S): void;
  remove(stream: string, subscriber: S): void;
  stop(): void;
}

/**
 * One timer per live stream name, shared by its subscribers: the close event right after
 * each boundary, in-progress updates in between. Exchange gaps send nothing.
 */
export function createFeed<S>(options: FeedOptions<S>): Feed<S> {
  const { market, clock, send } = options;
  const streams = new Map<string, { ref: StreamRef; subscribers: Set<S>; lastClosed: number; cancel: () => void }>();
  const wake = (name: string) => {
    const entry = streams.get(name);
    if (!entry) return;
    const { symbol, interval } = entry.ref;
    const now = clock.now();
    const open = candleOpenAt(interval, now);
    const closed = previousOpenTime(interval, open);
    let kline: SimKline | undefined;
    let isFinal = false;
    if (closed > entry.lastClosed) {
      entry.lastClosed = closed;
      kline = market.kline(symbol, interval, closed);
      isFinal = true;
    } else {
      kline = market.live(symbol, interval, open, now);
    }
    if (kline) for (const subscriber of entry.subscribers) send(subscriber, name, kline, isFinal);
    entry.cancel = clock.setTimeout(() => wake(name), nextEventTime(interval, now) - now);
  };
  return {
    add(name, subscriber) {
      const existing = streams.get(name);
      if (existing) return void existing.subscribers.add(subscriber);
      const ref = parseStreamName(name);
      if (!ref || !market.has(ref.symbol)) return;
      const now = clock.now();
      const entry = { ref, subscribers: new Set([subscriber]), lastClosed: previousOpenTime(ref.interval, candleOpenAt(ref.interval, now)), cancel: () => {} };
      streams.set(name, entry);
      entry.cancel = clock.setTimeout(() => wake(name), nextEventTime(ref.interval, now) - now);
    },
    remove(name, subscriber) {
      const entry = streams.get(name);
      if (!entry) return;
      entry.subscribers.delete(subscriber);
      if (entry.subscribers.size > 0) return;
      entry.cancel();
      streams.delete(name);
    },
    stop() {
      for (const entry of streams.values()) entry.cancel();
      streams.clear();
    },
  };
}
