import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { BINARY, ensureBinary, runBinary } from "../helpers/binary.ts";
import { checkCsvAgainstTruth, closedBetween, CLOSE_DELIVERY_MS, openedBetween } from "../helpers/csv-truth.ts";
import { parsePrometheusText, sampleValue, type PromFamily } from "../helpers/prom-parser.ts";
import { PROCESS_FAMILIES, RECORDER_FAMILIES } from "../helpers/metric-families.ts";

// `run --listen` in the compiled binary, scraped over a real socket while the embedded
// exchange drops and refuses connections.

let exchange: Exchange;
let dir: string;
const spawned: Bun.Subprocess[] = [];
beforeAll(async () => {
  ensureBinary();
  exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT"], seed: 14, log: () => {} });
}, 120_000);
afterAll(() => exchange.stop());
afterEach(() => {
  for (const p of spawned.splice(0)) p.kill("SIGKILL"); // a failed test leaves no recorder behind
  rmSync(dir, { recursive: true, force: true });
});

const FAMILIES: Record<string, string> = { ...RECORDER_FAMILIES, ...PROCESS_FAMILIES };
const STREAMS = ["BTCUSDT", "ETHUSDT"];

/** A port nobody listens on now: bound on port 0, read, let go. */
function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function scrape(base: string): Promise<Map<string, PromFamily>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await res.text());
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const healthz = async (base: string) => {
  const res = await fetch(`${base}/healthz`);
  return { status: res.status, body: await res.text() };
};
const labels = (symbol: string) => ({ symbol, interval: "1s", market: "spot" });
const csvRows = (symbol: string) => {
  const path = join(dir, `csv/candles_${symbol}_1s.csv`);
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").length - 2 : 0;
};

test("/metrics, /healthz and /state of a live recorder, through a drop and a refused reconnect", async () => {
  dir = mkdtempSync(join(tmpdir(), "metrics-bin-"));
  // Reconnect quickly once the exchange takes connections again.
  writeFileSync(join(dir, "r.yml"), "websocket:\n  reconnect:\n    max_delay: 1\n");
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  // Alerts go to a generic webhook: a local server that takes every POST.
  let posts = 0;
  using alertSink = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (posts++, new Response("ok")) });
  const spawnedAt = Date.now();
  const proc = Bun.spawn(
    [BINARY, "run", "--config", "r.yml", "--listen", `127.0.0.1:${port}`, "--symbol", "btcusdt,ethusdt", "--interval", "1s", "--restart-every", "0", "--stale-after", "2s", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", "csv", "--no-dashboard"],
    { cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, NO_COLOR: "1", RESILIENCE_LOG_LEVEL: "3", RESILIENCE_WEBHOOK_URL: `http://127.0.0.1:${alertSink.port}/hook` } },
  );
  spawned.push(proc);

  // Healthy once rows flow.
  await waitFor("3 rows per stream", async () => (STREAMS.every((s) => csvRows(s) >= 3) ? true : undefined), 15_000);
  const threeRowsAt = Date.now();
  expect(await healthz(base)).toEqual({ status: 200, body: "ok\n" });

  // Every family, typed as agreed, through a strict parser.
  const first = await scrape(base);
  for (const [name, type] of Object.entries(FAMILIES)) expect([name, first.get(name)?.type]).toEqual([name, type]);
  expect([...first.keys()].filter((name) => !(name in FAMILIES))).toEqual([]);
  expect(sampleValue(first, "resilience_build_info", { version: "0.1.0", market: "spot" })).toBe(1);
  expect(sampleValue(first, "resilience_connections")).toBe(1);
  expect(sampleValue(first, "resilience_rest_requests_total", { code: "200" })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(first, "resilience_write_seconds_count")).toBeGreaterThanOrEqual(6);
  expect(sampleValue(first, "resilience_last_message_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 5);
  // The start-up alert, counted per service once the webhook took it.
  await waitFor("the started alert", async () => (sampleValue(await scrape(base), "resilience_alerts_total", { channel: "webhook", result: "sent" }) >= 1 ? true : undefined), 10_000);
  expect(posts).toBeGreaterThanOrEqual(1);
  expect(sampleValue(first, "resilience_alerts_total", { channel: "webhook", result: "dropped" })).toBe(0);

  // candles_written_total is the CSV's data rows (a fresh --out: every row is this process's).
  await expectWrittenMatchesCsv(base);

  // /state is the state file's object; anything else is 404.
  const state = (await (await fetch(`${base}/state`)).json()) as Record<string, unknown>;
  const onDisk = JSON.parse(readFileSync(join(dir, "state/heartbeat.state.json"), "utf8")) as Record<string, unknown>;
  expect(Object.keys(state).sort()).toEqual(Object.keys(onDisk).sort());
  expect([state.status, state.pid, state.version]).toEqual(["connected", proc.pid, "0.1.0"]);
  expect(Object.keys(state.streams as object).sort()).toEqual(["BTCUSDT@1s", "ETHUSDT@1s"]);
  expect((await fetch(`${base}/nope`)).status).toBe(404);

  // A drop, then the exchange refuses connections: candles are missed, /healthz says so.
  const before = await scrape(base);
  exchange.refuse(6000);
  exchange.drop();
  const unhealthy = await waitFor("/healthz 503", async () => {
    const h = await healthz(base);
    return h.status === 503 ? h : undefined;
  }, 6000);
  expect(unhealthy.body).toMatch(/^(BTCUSDT|ETHUSDT) 1s: the last candle \(.*\) closed \d+s ago, more than two intervals\n/);

  // Recovered: reconnected (reactive), the missed candles backfilled, healthy again.
  await waitFor("a reactive reconnect", async () => (sampleValue(await scrape(base), "resilience_reconnects_total", { kind: "reactive" }) > sampleValue(before, "resilience_reconnects_total", { kind: "reactive" }) ? true : undefined), 20_000);
  await waitFor("/healthz 200", async () => ((await healthz(base)).status === 200 ? true : undefined), 10_000);
  const after = await scrape(base);
  for (const symbol of STREAMS) {
    expect(sampleValue(after, "resilience_backfilled_candles_total", labels(symbol))).toBeGreaterThan(sampleValue(before, "resilience_backfilled_candles_total", labels(symbol)));
    expect(sampleValue(after, "resilience_last_candle_timestamp_seconds", labels(symbol))).toBeGreaterThan(Date.now() / 1000 - 4);
  }
  expect(sampleValue(after, "resilience_reconnects_total", { kind: "proactive" })).toBe(0);
  expect(sampleValue(after, "resilience_connections")).toBe(1);
  expect(sampleValue(after, "resilience_rest_requests_total", { code: "200" })).toBeGreaterThan(sampleValue(before, "resilience_rest_requests_total", { code: "200" }));
  await expectWrittenMatchesCsv(base);

  // A graceful stop frees the port; nothing was lost.
  const stoppedAt = Date.now();
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  const exitedAt = Date.now();
  expect(fetch(`${base}/healthz`)).rejects.toThrow();
  for (const symbol of STREAMS) {
    const { problems } = checkCsvAgainstTruth(join(dir, `csv/candles_${symbol}_1s.csv`), exchange, symbol, "1s", {
      expectFirst: openedBetween("1s", spawnedAt, threeRowsAt - 3000),
      expectLast: closedBetween("1s", stoppedAt - CLOSE_DELIVERY_MS, exitedAt),
    });
    expect(problems).toEqual([]);
  }
}, 90_000);

test("--listen on a port in use, or a bad --listen, is one line and exit 2", async () => {
  dir = mkdtempSync(join(tmpdir(), "metrics-bin-"));
  using holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
  const offline = ["--ws-url", "ws://127.0.0.1:1", "--rest-url", "http://127.0.0.1:1", "--no-dashboard"];
  for (const [value, message] of [
    [`127.0.0.1:${holder.port}`, `resilience: cannot listen on 127.0.0.1:${holder.port}: the port is in use; give --listen another port, or stop what listens there`],
    [String(holder.port), `resilience: cannot listen on 127.0.0.1:${holder.port}: the port is in use; give --listen another port, or stop what listens there`],
    ["nope", `resilience: --listen: "nope" is not a listen address; give a port (9464 means 127.0.0.1:9464) or HOST:PORT, e.g. 127.0.0.1:9464 or 0.0.0.0:9464`],
  ]) {
    const { code, stdout, stderr } = await runBinary(["run", "--listen", value!, ...offline], { cwd: dir });
    expect([code, stderr]).toEqual([2, `${message}\n`]);
    expect(stdout).not.toMatch(/\n\s+at /);
  }
  // The port was refused before anything was opened.
  expect(existsSync(join(dir, "candles_BTCUSDT_1h.csv"))).toBe(false);
  expect(await (await fetch(`http://127.0.0.1:${holder.port}/`)).text()).toBe("someone else");
}, 30_000);

// --- internal ---

/** Rows counted and rows in the file agree (read the file before and after the scrape, so no row lands in between). */
async function expectWrittenMatchesCsv(base: string): Promise<void> {
  await waitFor("a quiet moment between two rows", async () => {
    const rowsBefore = STREAMS.map(csvRows);
    const metrics = await scrape(base);
    const rowsAfter = STREAMS.map(csvRows);
    if (rowsBefore.join() !== rowsAfter.join()) return undefined;
    expect(STREAMS.map((s) => sampleValue(metrics, "resilience_candles_written_total", labels(s)))).toEqual(rowsBefore);
    return true;
  }, 10_000);
}
