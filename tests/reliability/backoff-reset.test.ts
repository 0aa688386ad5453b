import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/resolve.ts";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { createSupervisor, type Supervisor } from "../../src/supervisor/supervisor.ts";

// Found by the 30-minute soak: the backoff's attempt count used to reset only when the
// connection that died had been up 5 s. Proactive restarts replace the connection, so with
// restarts shorter than that (the soak's 2 s), or a drop within 5 s of a swap, the count
// never reset and every reconnect waited up to websocket.reconnect.max_delay. Health is now
// counted from the last reactive reconnect, across swaps: a drop after 5 s of healthy
// streaming is retried at once, as attempt 1.
let dir: string | undefined;
let supervisor: Supervisor | undefined;
let exchange: Exchange | undefined;
afterEach(async () => {
  supervisor?.stop("test over");
  await exchange?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a drop after 5 s of healthy streaming, proactive restarts included, is retried at once", async () => {
  exchange = await startExchange({ symbols: ["BTCUSDT"], seed: 2, log: () => {} });
  dir = mkdtempSync(join(tmpdir(), "backoff-reset-"));
  const config = resolveConfig({}, undefined, { symbol: "BTCUSDT", interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, restartEvery: "2s", out: join(dir, "csv"), state: join(dir, "state.json") });
  const sup = (supervisor = createSupervisor({ config, version: "test" }));
  sup.start();
  const until = async (cond: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !cond(); await Bun.sleep(20)) if (Date.now() > end) throw new Error("timed out");
  };
  await until(() => sup.counters.proactiveRestarts >= 3, 15_000);
  const attempts: number[] = [];
  for (let drop = 0; drop < 3; drop++) {
    // 1 s after a 2 s boundary: the restart's new connection is not open yet, only the active one.
    await Bun.sleep(2000 - ((Date.now() - 1000) % 2000));
    const before = sup.counters.reactiveReconnects;
    exchange.drop();
    await until(() => sup.counters.reactiveReconnects > before, 40_000);
    attempts.push(sup.counters.attempt);
    await Bun.sleep(6000); // healthy again, through proactive restarts
  }
  expect(attempts).toEqual([1, 1, 1]);
}, 120_000);
