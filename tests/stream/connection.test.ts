import { afterEach, expect, test } from "bun:test";
import { openConnection, type CloseInfo, type Connection } from "../../src/stream/connection.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

/** A WebSocket server that says hello and then stays silent (a frozen stream). */
function silentServer(onOpen?: (ws: Bun.ServerWebSocket<unknown>) => void) {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("no", { status: 400 })),
    websocket: { open: (ws) => (ws.send("hello"), onOpen?.(ws)), message() {} },
  });
  return `ws://127.0.0.1:${server.port}/stream`;
}

function connect(url: string, clock: FakeClock, staleAfterMs = 30_000) {
  const messages: string[] = [];
  let closed: CloseInfo | undefined;
  let opened = false;
  const conn = openConnection({
    url, clock, staleAfterMs,
    onOpen: () => (opened = true),
    onMessage: (text) => messages.push(text),
    onClose: (info) => (closed = info),
  });
  return { conn, messages, get closed() { return closed; }, get opened() { return opened; } };
}

async function until(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await Bun.sleep(10);
  expect(cond()).toBe(true);
}

test("silence for staleAfter terminates the connection at once (a frozen peer never answers a close)", async () => {
  const clock = new FakeClock();
  const c = connect(silentServer(), clock);
  await until(() => c.messages.length === 1);
  await clock.advance(29_000);
  expect(c.conn.state).toBe("open");
  await clock.advance(1_000);
  await until(() => c.closed !== undefined);
  expect(c.closed).toMatchObject({ stale: true, code: 1006 });
  expect(c.conn.state).toBe("closed");
});

test("every message restarts the silence count", async () => {
  const clock = new FakeClock();
  let peer: Bun.ServerWebSocket<unknown> | undefined;
  const c = connect(silentServer((ws) => (peer = ws)), clock, 10_000);
  await until(() => c.messages.length === 1);
  for (let i = 0; i < 5; i++) {
    await clock.advance(8_000);
    peer!.send(`tick ${i}`);
    await until(() => c.messages.length === i + 2);
  }
  expect(c.conn.state).toBe("open");
  expect(c.closed).toBeUndefined();
});

test("a refused connection closes once, with the error, and never opens", async () => {
  const clock = new FakeClock();
  const probe = Bun.serve({ port: 0, fetch: () => new Response("") });
  const port = probe.port;
  probe.stop(true);
  const c = connect(`ws://127.0.0.1:${port}/stream`, clock);
  await until(() => c.closed !== undefined);
  expect(c.opened).toBe(false);
  expect(c.closed!.upMs).toBe(0);
  expect(c.closed!.error).toContain("Failed to connect");
});

test("a refused connection's error names host, path and stream count instead of quoting a 600-stream URL", async () => {
  const clock = new FakeClock();
  const probe = Bun.serve({ port: 0, fetch: () => new Response("") });
  const port = probe.port;
  probe.stop(true);
  const streams = Array.from({ length: 600 }, (_, i) => `s${i}usdt@kline_1m`).join("/");
  const c = connect(`ws://127.0.0.1:${port}/stream?streams=${streams}`, clock);
  await until(() => c.closed !== undefined);
  expect(c.closed!.error).toBe(`WebSocket connection to '127.0.0.1:${port}/stream (600 streams)' failed: Failed to connect`);
});

test("a connection that never completes is given up after the connect timeout", async () => {
  const clock = new FakeClock();
  // A TCP listener that accepts and never answers the HTTP upgrade.
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const c = connect(`ws://127.0.0.1:${listener.port}/stream`, clock);
  await Bun.sleep(100);
  expect(c.closed).toBeUndefined();
  await clock.advance(10_000);
  await until(() => c.closed !== undefined);
  expect(c.closed!.timedOut).toBe(true);
  listener.stop(true);
});

test("close() of an unresponsive peer falls back to terminate after 2 s", async () => {
  const clock = new FakeClock();
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      // Answer the upgrade, then ignore everything (the close frame included).
      data(socket, data) {
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(data.toString())?.[1];
        if (!key) return;
        const accept = new Bun.CryptoHasher("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      },
    },
  });
  const c = connect(`ws://127.0.0.1:${listener.port}/stream`, clock);
  await until(() => c.opened);
  (c.conn as Connection).close(1000, "bye");
  await Bun.sleep(100);
  expect(c.closed).toBeUndefined();
  await clock.advance(2000);
  await until(() => c.closed !== undefined);
  expect(c.closed!.code).toBe(1006);
  listener.stop(true);
});

test("server pings alone do not keep a connection alive: a stream that pings but sends no data is stale", async () => {
  const clock = new FakeClock();
  let peer: Bun.ServerWebSocket<unknown> | undefined;
  const c = connect(silentServer((ws) => (peer = ws)), clock, 10_000);
  await until(() => c.messages.length === 1);
  for (let i = 0; i < 3; i++) {
    peer!.ping("keepalive");
    await Bun.sleep(20);
    await clock.advance(4_000);
  }
  await until(() => c.closed !== undefined);
  expect(c.closed!.stale).toBe(true);
});
