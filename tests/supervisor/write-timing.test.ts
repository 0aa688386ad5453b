import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/resolve.ts";
import { createWriteLatency } from "../../src/metrics/write-latency.ts";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { createSupervisor, type Supervisor } from "../../src/supervisor/supervisor.ts";

let dir: string;
let exchange: Exchange | undefined;
let supervisor: Supervisor | undefined;
afterEach(async () => {
  supervisor?.stop("test over");
  await exchange?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("onCloseReceived fires once per candle the CSV lacks (a doubled close does not count), and every one is timed to its sync", async () => {
  dir = mkdtempSync(join(tmpdir(), "timing-"));
  exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT"], seed: 5, log: () => {} });
  const config = resolveConfig({}, undefined, { symbol: "btcusdt,ethusdt", interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, out: dir, restartEvery: "0" });
  const latency = createWriteLatency();
  const received: string[] = [];
  supervisor = createSupervisor({
    config,
    version: "test",
    onCloseReceived(stream, openTime) {
      received.push(`${stream} ${openTime}`);
      latency.received(stream, openTime);
    },
    onDurable: latency.durable,
  });
  supervisor.start();
  await Bun.sleep(2200);
  exchange.dupClose();
  await Bun.sleep(2200);
  supervisor.stop("test over");
  expect(new Set(received).size).toBe(received.length);
  const streamRows = supervisor.streams.reduce((n, s) => n + s.candlesWritten - s.backfilled, 0);
  expect(received.length).toBeGreaterThanOrEqual(6);
  expect(received.length).toBe(streamRows);
  const h = latency.histogram();
  expect(h.counts.reduce((a, b) => a + b, 0)).toBe(received.length);
  expect(h.sum).toBeLessThan(received.length * 0.5); // each well under half a second on a local disk
  for (const s of ["BTCUSDT", "ETHUSDT"]) expect(readFileSync(join(dir, `candles_${s}_1s.csv`), "utf8").split("\n").length - 2).toBe(supervisor.streams.find((x) => x.symbol === s)!.candlesWritten);
});
