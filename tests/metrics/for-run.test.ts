import { afterEach, expect, test } from "bun:test";
import { createConsola } from "consola";
import { resolveConfig } from "../../src/config/resolve.ts";
import { startRunMonitor, type RunMonitor } from "../../src/metrics/for-run.ts";
import { parsePrometheusText } from "../helpers/prom-parser.ts";

const monitors: RunMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
});
const log = createConsola({ reporters: [{ log: () => {} }] });

function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

test("without --listen the monitor binds nothing and times nothing", () => {
  const monitor = startRunMonitor({ config: resolveConfig({}, undefined, {}), version: "0.1.0", log });
  monitors.push(monitor);
  expect(monitor.onCloseReceived).toBeUndefined();
  monitor.durable("BTCUSDT@1h", 0);
});

test("before the recorder runs: /healthz and /state say it is starting, /metrics has the build and process figures", async () => {
  const port = freePort();
  const lines: string[] = [];
  const monitor = startRunMonitor({ config: resolveConfig({}, undefined, { listen: String(port), market: "coinm", interval: "1m" }), version: "9.9.9", log: createConsola({ level: 3, reporters: [{ log: (o) => lines.push(o.args.join(" ")) }] }) });
  monitors.push(monitor);
  expect(lines).toEqual([`metrics on http://127.0.0.1:${port}/metrics, health on http://127.0.0.1:${port}/healthz, state on http://127.0.0.1:${port}/state`]);
  const base = `http://127.0.0.1:${port}`;
  const health = await fetch(`${base}/healthz`);
  expect([health.status, await health.text()]).toEqual([503, "the recorder is starting\n"]);
  expect((await fetch(`${base}/state`)).status).toBe(503);
  const families = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
  expect(families.get("resilience_build_info")!.samples).toEqual([{ name: "resilience_build_info", labels: { version: "9.9.9", market: "coinm" }, value: 1 }]);
  expect(families.has("process_resident_memory_bytes")).toBe(true);
  monitor.stop();
  monitor.stop();
  expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
