import { expect, test } from "bun:test";
import type { StreamSpec } from "../../src/stream/binance.ts";
import { silentStreams, type SilenceWatch } from "../../src/supervisor/stream-liveness.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const btc: StreamSpec = { symbol: "BTCUSDT", interval: "1m" };
const eth: StreamSpec = { symbol: "ETHUSDT", interval: "1m" };
const sol1s: StreamSpec = { symbol: "SOLUSDT", interval: "1s" };

function check(now: number, liveAt: Record<string, number | undefined>, watches = new Map<string, SilenceWatch>(), lastMessageAt = now - 100, connectedSince = T0 - 10 * MIN) {
  return silentStreams({ streams: [btc, eth, sol1s], now, connectedSince, lastMessageAt, liveAt: (s) => liveAt[s.symbol], watches }).map((f) => f.stream.symbol);
}

test("a stream whose close event did not come within three update periods is silent; the others are not", () => {
  const now = T0 + 6_500; // the 12:00 close was 6.5 s ago (3 periods of 2 s)
  expect(check(now, { BTCUSDT: now - 500, ETHUSDT: T0 - 30_000, SOLUSDT: now - 200 })).toEqual(["ETHUSDT"]);
});

test("before three update periods have passed since the close, nothing is silent yet", () => {
  const now = T0 + 5_000;
  expect(check(now, { BTCUSDT: now - 500, ETHUSDT: T0 - 30_000, SOLUSDT: now - 200 })).toEqual([]);
});

test("a quiet market is not a silent stream: no updates inside the minute are fine once the close came", () => {
  const now = T0 + 50_000;
  expect(check(now, { BTCUSDT: T0 + 100, ETHUSDT: T0 + 200, SOLUSDT: now - 300 })).toEqual([]);
});

test("a connection that delivers nothing is the stale watchdog's business, not a silent stream", () => {
  const now = T0 + 10_000;
  expect(check(now, { BTCUSDT: T0 - 30_000, ETHUSDT: T0 - 30_000, SOLUSDT: T0 - 30_000 }, new Map(), now - 5000)).toEqual([]);
});

test("a connection opened after the close is not judged on it", () => {
  const now = T0 + 10_000;
  expect(check(now, { BTCUSDT: undefined, ETHUSDT: undefined, SOLUSDT: now - 100 }, new Map(), now - 100, T0 + 2000)).toEqual([]);
});

test("a stream reported once is not reported again before its backoff, and waits twice as long the next time", () => {
  const watches = new Map<string, SilenceWatch>();
  const first = T0 + 7_000;
  expect(check(first, { BTCUSDT: first, ETHUSDT: T0 - 30_000, SOLUSDT: first }, watches)).toEqual(["ETHUSDT"]);
  const backoff = watches.get("ethusdt@kline_1m")!.backoffMs;
  const soon = first + backoff - 1000;
  expect(check(soon, { BTCUSDT: soon, ETHUSDT: T0 - 30_000, SOLUSDT: soon }, watches)).toEqual([]);
  const later = T0 + MIN + 7_000; // still silent at the next close
  expect(check(later, { BTCUSDT: later, ETHUSDT: T0 - 30_000, SOLUSDT: later }, watches)).toEqual(["ETHUSDT"]);
  expect(watches.get("ethusdt@kline_1m")!.backoffMs).toBe(backoff * 2);
});

test("a stream added to a running connection (a listing) is not judged on closes before it joined", () => {
  const now = T0 + 7_000;
  const found = silentStreams({ streams: [eth], now, connectedSince: T0 - 10 * MIN, lastMessageAt: now - 100, liveAt: () => undefined, joinedAt: () => T0 + 1000, watches: new Map() });
  expect(found).toEqual([]);
  const later = silentStreams({ streams: [eth], now, connectedSince: T0 - 10 * MIN, lastMessageAt: now - 100, liveAt: () => undefined, joinedAt: () => T0 - 1000, watches: new Map() });
  expect(later.map((f) => f.stream.symbol)).toEqual(["ETHUSDT"]);
});
