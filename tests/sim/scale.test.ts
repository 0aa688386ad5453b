import { describe, expect, test } from "bun:test";
import { generateSymbols } from "../../src/sim/generate.ts";
import { connectClient, startFakeBinance, waitUntil, type TestClient } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);
const SYMBOLS = generateSymbols(1500, 1).filter((s) => s.status === "TRADING").map((s) => s.symbol.toLowerCase());

/** `streams` split into `connections` combined URLs of at most 200 streams. */
function shards(streams: string[], connections: number): string[][] {
  const size = Math.ceil(streams.length / connections);
  expect(size).toBeLessThanOrEqual(200);
  return Array.from({ length: connections }, (_, i) => streams.slice(i * size, (i + 1) * size));
}

/** The close events (x:true) each client has received so far, by stream. */
function closesOf(clients: TestClient[]): Map<string, any[]> {
  const out = new Map<string, any[]>();
  for (const client of clients) {
    for (const text of client.received) {
      if (!text.includes('"x":true')) continue;
      const frame = JSON.parse(text);
      out.set(frame.stream, [...(out.get(frame.stream) ?? []), frame.data.k]);
    }
  }
  return out;
}

describe("the whole market", () => {
  test("1,500 symbols × 1m over 8 combined connections, then 1s streams: every closed candle arrives, equal to the truth", async () => {
    const clock = new FakeClock(T0);
    await using exchange = await startFakeBinance({ clock, generate: 1500, seed: 1 });
    const connect = async (streams: string[]) => {
      const url = `${exchange.wsUrl}/stream?streams=${streams.join("/")}`;
      expect(url.length).toBeLessThan(8000);
      return connectClient(url);
    };
    const minute = await Promise.all(shards(SYMBOLS.map((s) => `${s}@kline_1m`), 8).map(connect));
    await waitUntil(() => exchange.stats().streamsServed === 1500, 5000, "1500 subscriptions");
    // One timer drives every stream (plus each connection's ping and day cut): no timer per stream.
    expect(clock.pending).toBeLessThanOrEqual(1 + 2 * 8 + 1);

    const started = performance.now();
    for (let t = 0; t < 60_000; t += 2000) {
      await clock.advance(2000);
      await Bun.sleep(1);
    }
    const serverMs = performance.now() - started;
    await waitUntil(() => closesOf(minute).size === 1500, 20_000, "a close on every 1m stream");
    const closes = closesOf(minute);
    for (const symbol of SYMBOLS) {
      const [k, ...more] = closes.get(`${symbol}@kline_1m`)!;
      expect(more).toEqual([]);
      const truth = exchange.truth(symbol.toUpperCase(), "1m", T0)!;
      expect([k.t, k.o, k.c, k.h, k.l, k.v, k.n]).toEqual([truth.openTime, truth.open, truth.close, truth.high, truth.low, truth.volume, truth.trades]);
    }
    expect(minute.reduce((sum, c) => sum + c.received.length, 0)).toBe(1500 * 30);
    expect(serverMs).toBeLessThan(10_000);

    const seconds = await Promise.all(shards(SYMBOLS.map((s) => `${s}@kline_1s`), 8).map(connect));
    await waitUntil(() => exchange.stats().streamsServed === 3000, 5000, "3000 subscriptions");
    await clock.advance(3000);
    await waitUntil(() => [...closesOf(seconds).values()].reduce((n, list) => n + list.length, 0) === 4500, 20_000, "three closes on every 1s stream");
    for (const [stream, list] of closesOf(seconds)) {
      expect(list.map((k) => k.t - T0)).toEqual([60_000, 61_000, 62_000]);
      expect(list[2].c).toBe(exchange.truth(stream.split("@")[0]!.toUpperCase(), "1s", T0 + 62_000)!.close);
    }
  }, 60_000);
});
