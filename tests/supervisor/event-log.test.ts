import { afterEach, beforeEach, expect, test } from "bun:test";
import { createConsola, type LogObject } from "consola";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/resolve.ts";
import { formatLogLine } from "../../src/logger.ts";
import { LOG_MESSAGE_MAX_CHARS, logRecorderEvent } from "../../src/supervisor/event-log.ts";
import type { RecorderEvent } from "../../src/supervisor/events.ts";
import { createSupervisor, type Supervisor } from "../../src/supervisor/supervisor.ts";

let dir: string;
let supervisor: Supervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "event-log-"));
});
afterEach(() => {
  supervisor?.stop("test over");
  supervisor = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A logger whose lines are captured exactly as the process logger prints them. */
function captureLog() {
  const lines: { level: string; line: string }[] = [];
  const log = createConsola({
    level: 5,
    reporters: [{ log: (o: LogObject) => lines.push({ level: o.type, line: formatLogLine({ at: o.date.getTime(), level: o.type.toUpperCase(), tag: o.tag, message: o.args.join(" ") }) }) }],
  }).withTag("run");
  return { log, lines };
}

/** A port nothing listens on. */
function closedPort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** `AAAUSDT`, `AABUSDT`, …: n distinct valid symbols. */
function symbols(n: number): string[] {
  const letter = (i: number) => String.fromCharCode(65 + (i % 26));
  return Array.from({ length: n }, (_, i) => `${letter(i / 676)}${letter(i / 26)}${letter(i)}USDT`);
}

test("a refused pool of 600 streams (three connections of 200) logs short connect_failed lines naming the connection, host, path and stream count, not the streams", async () => {
  const port = closedPort();
  const config = resolveConfig({ csv: { dir } }, undefined, {
    symbol: symbols(300).join(","),
    interval: "1m,1h",
    wsUrl: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    out: dir,
    state: join(dir, "state.json"),
  });
  const { log, lines } = captureLog();
  const failures: RecorderEvent[] = [];
  supervisor = createSupervisor({
    config,
    version: "test",
    onEvent(event) {
      if (event.type === "connect_failed") failures.push(event);
      logRecorderEvent(log, event);
    },
  });
  supervisor.start();
  for (let i = 0; i < 500 && failures.length < 2; i++) await Bun.sleep(10);
  supervisor.stop("test over");

  const failed = lines.filter((l) => l.line.includes("failed:"));
  expect(failed.length).toBeGreaterThanOrEqual(2);
  for (const { line } of failed) {
    expect(line.length).toBeLessThan(300);
    expect(line).toContain(`127.0.0.1:${port}/stream (200 streams)`);
    expect(line).toMatch(/connection [123]: connection attempt/);
    expect(line).toContain("Failed to connect");
    expect(line).not.toContain("@kline_");
  }
  const started = lines.find((l) => l.line.includes("recording"))!.line;
  expect(started.length).toBeLessThan(300);
  expect(started).toContain("recording 600 streams: AAAUSDT@1m");
  expect(started).toContain("(+595 more)");
});

test("the connected line names host, path and stream count, never the whole URL", () => {
  const { log, lines } = captureLog();
  const streams = symbols(300).flatMap((s) => [`${s.toLowerCase()}@kline_1m`, `${s.toLowerCase()}@kline_1h`]).join("/");
  logRecorderEvent(log, { type: "connected", url: `wss://stream.binance.com:9443/stream?streams=${streams}`, attempt: 3 });
  expect(lines.map((l) => l.line.replace(/^\S+ /, ""))).toEqual(["SUCCESS [run] connected to stream.binance.com:9443/stream (600 streams) (attempt 3)"]);
});

test.each<RecorderEvent>([
  { type: "warning", message: "x".repeat(20_000) },
  { type: "connect_failed", attempt: 1, error: `boom ${"y".repeat(20_000)}`, retryInMs: 500 },
  { type: "csv_write_failing", symbol: "BTCUSDT", interval: "1m", error: "z".repeat(5_000) },
])("a huge $type message is cut to one short line with an ellipsis", (event) => {
  const { log, lines } = captureLog();
  logRecorderEvent(log, event);
  expect(lines).toHaveLength(1);
  const line = lines[0]!.line;
  expect(line.length).toBeLessThan(300);
  expect(line.endsWith("…")).toBe(true);
  expect(line.length - line.indexOf("] ") - 2).toBe(LOG_MESSAGE_MAX_CHARS);
});

test("a short message is logged as it is", () => {
  const { log, lines } = captureLog();
  logRecorderEvent(log, { type: "started", streams: ["BTCUSDT@1s", "ETHUSDT@1s"] });
  logRecorderEvent(log, { type: "stopped", reason: "SIGTERM" });
  expect(lines.map((l) => [l.level, l.line.replace(/^\S+ \S+ +/, "")])).toEqual([
    ["info", "[run] recording BTCUSDT@1s, ETHUSDT@1s"],
    ["info", "[run] stopped: SIGTERM"],
  ]);
});
