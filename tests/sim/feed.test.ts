import { describe, expect, test } from "bun:test";
import type { Clock } from "../../src/clock.ts";
import { createFeed, type FeedEvent } from "../../src/sim/feed.ts";
import { generateSymbols } from "../../src/sim/generate.ts";
import { createMarket } from "../../src/sim/market.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);

function setup(clock: Clock) {
  const market = createMarket({ symbols: generateSymbols(3, 1), seed: 1, originTime: T0 });
  const got: [string, FeedEvent[]][] = [];
  const feed = createFeed<string>({ market, clock, deliver: (subscriber, events) => got.push([subscriber, events]) });
  return { market, feed, got };
}

describe("createFeed", () => {
  test("one tick hands each subscriber its batch, in subscription order", async () => {
    const clock = new FakeClock(T0);
    const { feed, got } = setup(clock);
    feed.add("btcusdt@kline_1s", "a");
    feed.add("ethusdt@kline_1s", "a");
    feed.add("ethusdt@kline_1s", "b");
    await clock.advance(500);
    expect(got.map(([s, events]) => [s, events.map((e) => e.stream)])).toEqual([
      ["a", ["btcusdt@kline_1s", "ethusdt@kline_1s"]],
      ["b", ["ethusdt@kline_1s"]],
    ]);
    feed.remove("ethusdt@kline_1s", "a");
    feed.remove("btcusdt@kline_1s", "a");
    feed.remove("ethusdt@kline_1s", "b");
    expect(clock.pending).toBe(0);
  });

  test("a late tick sends every close it missed, in order, then goes on", () => {
    let now = T0;
    let due: (() => void) | undefined;
    const clock: Clock = { now: () => now, setTimeout: (fn) => ((due = fn), () => (due = undefined)) };
    const { market, feed, got } = setup(clock);
    feed.add("btcusdt@kline_1s", "a");
    now = T0 + 3_700; // the event loop was blocked for 3.7 s
    due!();
    const [[, events]] = got as [[string, FeedEvent[]]];
    expect(events.map((e) => [e.kline.openTime - T0, e.closed])).toEqual([[0, true], [1000, true], [2000, true]]);
    expect(events[2]!.kline).toEqual(market.kline("BTCUSDT", "1s", T0 + 2000)!);
    now = T0 + 4_000;
    due!();
    expect(got[1]![1].map((e) => [e.kline.openTime - T0, e.closed])).toEqual([[3000, true]]);
  });
});
