import { afterEach, expect, test } from "bun:test";
import { startStatusServer, type StatusPages, type StatusServer } from "../../src/http/status-server.ts";
import type { RecorderState } from "../../src/state/state-file.ts";
import { userErrorOf } from "../helpers/user-error.ts";

const servers: StatusServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

/** A port nobody listens on now (bound on port 0, then let go). */
function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

function start(pages: Partial<StatusPages>, onError?: (err: unknown) => void): StatusServer {
  const server = startStatusServer({
    address: { host: "127.0.0.1", port: freePort() },
    pages: { metrics: () => "# TYPE x gauge\nx 1\n", state: () => undefined, health: () => ({ healthy: true, problems: [] }), ...pages },
    onError,
  });
  servers.push(server);
  return server;
}

test("GET /metrics is the exposition text with Prometheus's content type", async () => {
  const server = start({});
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(await res.text()).toBe("# TYPE x gauge\nx 1\n");
});

test("GET /healthz: 200 ok when healthy, else 503 with one problem per line", async () => {
  let health = { healthy: true, problems: [] as string[] };
  const server = start({ health: () => health });
  let res = await fetch(`${server.url}/healthz`);
  expect([res.status, await res.text()]).toEqual([200, "ok\n"]);
  health = { healthy: false, problems: ["BTCUSDT 1s: the last candle closed 5s ago", "the heartbeat is 40s old"] };
  res = await fetch(`${server.url}/healthz`);
  expect([res.status, await res.text()]).toEqual([503, "BTCUSDT 1s: the last candle closed 5s ago\nthe heartbeat is 40s old\n"]);
});

test("GET /state is the state object as JSON; 503 while starting", async () => {
  let state: RecorderState | undefined;
  const server = start({ state: () => state });
  expect((await fetch(`${server.url}/state`)).status).toBe(503);
  state = { status: "connected", pid: 1, streams: {} } as unknown as RecorderState;
  const res = await fetch(`${server.url}/state`);
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(await res.json()).toEqual(state as object);
});

test.each([
  ["GET", "/"],
  ["GET", "/metrics/"],
  ["GET", "/nope"],
  ["POST", "/metrics"],
  ["DELETE", "/state"],
])("%s %s is 404", async (method, path) => {
  const server = start({});
  expect((await fetch(`${server.url}${path}`, { method })).status).toBe(404);
});

test("a page that throws is a 500 and reported; the server goes on", async () => {
  const errors: unknown[] = [];
  const server = start({ metrics: () => { throw new Error("boom"); } }, (err) => errors.push(err));
  expect((await fetch(`${server.url}/metrics`)).status).toBe(500);
  expect(errors).toHaveLength(1);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});

test("a port in use is one usage error; stop is idempotent and frees the port", async () => {
  const server = start({});
  const port = Number(new URL(server.url).port);
  expect(userErrorOf(() => startStatusServer({ address: { host: "127.0.0.1", port }, pages: { metrics: () => "", state: () => undefined, health: () => ({ healthy: true, problems: [] }) } }))).toBe(
    `cannot listen on 127.0.0.1:${port}: the port is in use; give --listen another port, or stop what listens there`,
  );
  server.stop();
  server.stop();
  expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
});
