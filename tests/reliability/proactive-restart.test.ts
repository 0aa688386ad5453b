import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBenchServer, type BenchSocket } from "../../scripts/lib/bench-server.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { createSupervisor, type Supervisor } from "../../src/supervisor/supervisor.ts";

// Regression (found by the soak): when the old connection dies while a restart's new
// connection is open, the new one takes over, and the next proactive restart must still
// be scheduled.
let dir: string | undefined;
let supervisor: Supervisor | undefined;
afterEach(() => {
  supervisor?.stop("test over");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("proactive restarts go on after the old connection dies during one", async () => {
  const sockets = new Map<number, BenchSocket>();
  const server = startBenchServer({
    onOpen(ws) {
      sockets.set(ws.data.id, ws);
      // The restart's new connection is open: the old one dies before the swap.
      if (ws.data.id === 2) sockets.get(1)?.terminate();
    },
  });
  try {
    dir = mkdtempSync(join(tmpdir(), "restart-drop-"));
    const config = resolveConfig({}, undefined, { symbol: "BTCUSDT", interval: "1s", wsUrl: server.wsUrl, restUrl: server.url, restartEvery: "2s", out: join(dir, "csv"), state: join(dir, "state.json") });
    supervisor = createSupervisor({ config, version: "test" });
    supervisor.start();
    for (let i = 0; i < 100 && server.connections < 2; i++) await Bun.sleep(50);
    expect(server.connections).toBe(2);
    // The next restart opens a third connection within one period (2 s) plus its margin.
    for (let i = 0; i < 100 && server.connections < 3; i++) await Bun.sleep(50);
    expect(server.connections).toBeGreaterThanOrEqual(3);
  } finally {
    await server.stop();
  }
}, 20_000);
