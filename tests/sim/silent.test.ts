import { describe, expect, test } from "bun:test";
import { connectClient, startFakeBinance, waitUntil, type TestClient } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);

async function setup(options: Parameters<typeof startFakeBinance>[0] = {}) {
  const clock = new FakeClock(T0);
  const logs: string[] = [];
  const exchange = await startFakeBinance({ clock, log: (line) => logs.push(line), ...options });
  const connect = async (path: string) => {
    const before = exchange.stats().openConnections;
    const client = await connectClient(`${exchange.wsUrl}${path}`);
    await waitUntil(() => exchange.stats().openConnections > before, 3000, "the server to see the connection");
    return client;
  };
  return { clock, exchange, connect, logs };
}

/** The streams of the frames received so far (after a short real-time settle). */
async function streams(client: TestClient): Promise<string[]> {
  await Bun.sleep(60);
  const out: string[] = [];
  while (client.unread > 0) {
    out.push((await client.nextJson()).stream ?? "reply");
  }
  return out;
}

describe("silent", () => {
  test("one stream stops on the connections open now while their other streams go on; new connections get it", async () => {
    const { clock, exchange, connect, logs } = await setup();
    await using _ = exchange;
    const a = await connect("/stream?streams=btcusdt@kline_1s/ethusdt@kline_1s");
    const b = await connect("/stream?streams=btcusdt@kline_1s");
    expect(exchange.silent("btcusdt@kline_1s")).toBe("btcusdt@kline_1s");
    expect(logs).toEqual(["fault silent:btcusdt@kline_1s (2 open connections)"]);
    const c = await connect("/stream?streams=btcusdt@kline_1s");
    await clock.advance(2000);
    expect(new Set(await streams(a))).toEqual(new Set(["ethusdt@kline_1s"]));
    expect(await streams(b)).toEqual([]);
    expect(await streams(c)).toEqual(Array(4).fill("btcusdt@kline_1s"));
    expect([a, b, c].every((client) => client.ws.readyState === WebSocket.OPEN)).toBe(true);
  });

  test("a SUBSCRIBE to the silenced stream delivers it again on that connection", async () => {
    const { clock, exchange, connect } = await setup();
    await using _ = exchange;
    const client = await connect("/stream?streams=btcusdt@kline_1s");
    exchange.silent("btcusdt@kline_1s");
    await clock.advance(1000);
    expect(await streams(client)).toEqual([]);
    client.send({ method: "SUBSCRIBE", params: ["btcusdt@kline_1s"], id: 1 });
    expect(await client.nextJson()).toEqual({ result: null, id: 1 });
    await clock.advance(1000);
    expect(await streams(client)).toEqual(["btcusdt@kline_1s", "btcusdt@kline_1s"]);
  });

  test("without a stream it picks one of the subscribed streams, the same for the same seed; with none, nothing", async () => {
    const picks: (string | undefined)[] = [];
    for (let run = 0; run < 2; run++) {
      const { exchange, connect, logs } = await setup({ seed: 9 });
      await using _ = exchange;
      expect(exchange.silent()).toBeUndefined();
      expect(logs).toEqual(["fault silent: nothing done, no stream is subscribed (0 open connections)"]);
      await connect("/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m/pepeusdt@kline_1s");
      picks.push(exchange.silent());
    }
    expect(["btcusdt@kline_1m", "ethusdt@kline_1m", "pepeusdt@kline_1s"]).toContain(picks[0]!);
    expect(picks[1]).toBe(picks[0]);
  });

  test("a scheduled silent:STREAM fires at its time", async () => {
    const { clock, exchange, connect } = await setup({ faults: "silent:ethusdt@kline_1s@1500ms" });
    await using _ = exchange;
    const client = await connect("/stream?streams=btcusdt@kline_1s/ethusdt@kline_1s");
    await clock.advance(1000);
    const first = await streams(client);
    expect(first.filter((s) => s === "ethusdt@kline_1s")).toHaveLength(2);
    await clock.advance(2000);
    expect(new Set(await streams(client))).toEqual(new Set(["btcusdt@kline_1s"]));
    expect(exchange.stats().faults).toEqual({ silent: 1 });
  });
});
