/**
 * Benchmark 3b, the JS heap across reconnects: the recorder's supervisor in this process
 * (as `resilience run` wires it) against the simulated exchange, which drops the
 * connection `--reconnects` times; every 500 reconnects, after a full garbage collection,
 * the JS heap's size and object count. A leak of anything kept per connection (sockets,
 * timers, listeners, closures) would grow them; RSS also counts the runtime's native
 * memory and allocator, which the footprint benchmark measures on the binary.
 *
 *   bun scripts/bench-heap-churn.ts [--reconnects 4000] [--json]
 */
import { heapStats } from "bun:jsc";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.ts";
import { startExchange } from "../src/sim/exchange.ts";
import { createSupervisor } from "../src/supervisor/supervisor.ts";
import { waitFor } from "./lib/process-io.ts";
import { formatCount, formatRatio, markdownTable } from "./lib/stats.ts";

const { values } = parseArgs({ options: { reconnects: { type: "string", default: "4000" }, json: { type: "boolean", default: false } } });
const RECONNECTS = Number(values.reconnects);
const EVERY = 500;

const exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT"], seed: 1, log: () => {} });
const dir = mkdtempSync(join(tmpdir(), "bench-heap-"));
// Reconnect at once every time (the backoff's growth would only make this take hours).
const tree = { websocket: { reconnect: { delay: "1ms", max_delay: "20ms" } } };
const config = resolveConfig(tree, undefined, { symbol: "BTCUSDT,ETHUSDT", interval: "1m", wsUrl: exchange.wsUrl, restUrl: exchange.url, restartEvery: "0", out: join(dir, "csv"), state: join(dir, "state.json") });
const supervisor = createSupervisor({ config, version: "bench" });
const samples: { reconnects: number; heapKb: number; objects: number }[] = [];
try {
  supervisor.start();
  await waitFor(() => exchange.stats().openConnections === 1, "the first connection");
  for (let i = 1; i <= RECONNECTS; i++) {
    const before = exchange.stats().connections;
    exchange.drop();
    await waitFor(() => exchange.stats().connections > before && exchange.stats().openConnections === 1, `reconnect ${i}`, 30_000, 2);
    if (i % EVERY === 0) {
      Bun.gc(true);
      await Bun.sleep(50);
      Bun.gc(true);
      const h = heapStats();
      samples.push({ reconnects: i, heapKb: h.heapSize / 1024, objects: h.objectCount });
    }
  }
} finally {
  supervisor.stop("done");
  await exchange.stop();
  rmSync(dir, { recursive: true, force: true });
}
if (values.json) console.log(JSON.stringify({ samples }));
else {
  const first = samples[0]!;
  console.log(`JS heap after a full GC, every ${EVERY} reconnects (the supervisor in-process, 2 streams)`);
  console.log(
    markdownTable(
      [
        ["reconnects", ...samples.map((s) => formatCount(s.reconnects))],
        ["heap", ...samples.map((s) => `${(s.heapKb / 1024).toFixed(2)} MiB`)],
        ["objects", ...samples.map((s) => formatCount(s.objects))],
        [`objects vs ${formatCount(first.reconnects)}`, ...samples.map((s) => formatRatio(s.objects / first.objects))],
      ],
      ["l", ...samples.map(() => "r" as const)],
    ),
  );
}
