/**
 * Benchmark 2, durable write: latency from a closing kline event being handed to the
 * server's socket to its row being on disk (write + fdatasync returned), p50/p99/max
 * over 10,000 closes on 10 streams.
 *
 * Method: the server runs in its own process (scripts/lib/paced-closes-server.ts) and
 * notes each close's send time; the recorder is the real createSupervisor with its
 * heartbeat, as `resilience run` wires them, in this process, writing real CSVs on the
 * temporary directory's disk. Its onChange hook fires synchronously right after the
 * writer's write + fdatasync of a row returned; that instant is the row's time. Clocks:
 * performance.timeOrigin + performance.now() in both processes (µs precision).
 * Baselines in the same run: a bare Bun client (JSON.parse, then write + fdatasync of the
 * row to a per-stream file) timed the same way, and write + fdatasync alone in a loop.
 *
 *   bun scripts/bench-durable-write.ts [--closes 10000] [--every-ms 1] [--json]
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.ts";
import { systemClock } from "../src/clock.ts";
import { createHeartbeat } from "../src/state/heartbeat.ts";
import { createSupervisor } from "../src/supervisor/supervisor.ts";
import { readFirstLine } from "./lib/process-io.ts";
import { formatCount, formatMs, formatRatio, markdownTable, percentile } from "./lib/stats.ts";
import { awayFromMinuteEnd, preciseNow } from "./lib/timing.ts";

const { values } = parseArgs({ options: { closes: { type: "string", default: "10000" }, "every-ms": { type: "string", default: "1" }, json: { type: "boolean", default: false } } });
const CLOSES = Number(values.closes);
const SYMBOLS = Array.from({ length: 10 }, (_, i) => `D${i + 1}`);
const bun = join(import.meta.dir, "../node_modules/.bin/bun");

const server = Bun.spawn([bun, join(import.meta.dir, "lib/paced-closes-server.ts"), "--closes", String(CLOSES), "--every-ms", values["every-ms"]!], { stdout: "pipe", stderr: "inherit" });
const banner = await readFirstLine(server.stdout);
const [, wsBase, timesUrl] = /listening on (\S+) times on (\S+)/.exec(banner) ?? [];
if (!wsBase || !timesUrl) throw new Error(`paced server said: ${banner}`);
const dir = mkdtempSync(join(tmpdir(), "bench-durable-"));

try {
  const disk = _diskFloor(join(dir, "fsync-floor.csv"), Math.min(CLOSES, 10_000));
  const floor = await _floorClient(1);
  const recorder = await _recorder(2);
  const summary = { disk: _summary(disk), floor: _summary(floor), recorder: _summary(recorder) };
  if (values.json) console.log(JSON.stringify({ closes: CLOSES, summary }));
  else {
    const row = (label: string, s: ReturnType<typeof _summary>) => [label, formatCount(s.n), formatMs(s.p50), formatMs(s.p99), formatMs(s.max), formatRatio(s.p50 / summary.floor.p50), formatRatio(s.p99 / summary.floor.p99)];
    console.log(`${formatCount(CLOSES)} closes on ${SYMBOLS.length} streams, one every ${values["every-ms"]} ms, CSVs in ${dir}`);
    console.log(
      markdownTable(
        [
          ["path", "rows", "p50", "p99", "max", "p50 vs floor", "p99 vs floor"],
          row("write + fdatasync alone (no network)", summary.disk),
          row("bare Bun client: JSON.parse, write + fdatasync (floor)", summary.floor),
          row("resilience recorder (createSupervisor + heartbeat)", summary.recorder),
        ],
        ["l", "r", "r", "r", "r", "r", "r"],
      ),
    );
  }
} finally {
  server.kill();
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

function _summary(latencies: number[]) {
  return { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
}

/** write(2) + fdatasync of one row at a time, nothing else: the disk's own latency. */
function _diskFloor(path: string, rows: number): number[] {
  const fd = openSync(path, "a");
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    const t0 = preciseNow();
    writeSync(fd, `2026-01-01T00:00:00Z,1.00000000,1.00000150,0.99999850,1.00000042,0.01000013\n`);
    fdatasyncSync(fd);
    out.push(preciseNow() - t0);
  }
  closeSync(fd);
  return out;
}

/** Connection `conn`: a bare client that parses each frame and writes closes durably. */
async function _floorClient(conn: number): Promise<number[]> {
  await awayFromMinuteEnd();
  const fds = new Map(SYMBOLS.map((s) => [s, openSync(join(dir, `floor_${s}.csv`), "a")]));
  const written = new Map<string, number>();
  const ws = new WebSocket(`${wsBase}/stream?streams=${SYMBOLS.map((s) => `${s.toLowerCase()}@kline_1m`).join("/")}`);
  await new Promise<void>((resolve) => {
    ws.onmessage = (event) => {
      const { data } = JSON.parse(event.data as string);
      const k = data.k;
      if (!k.x) return;
      writeSync(fds.get(k.s)!, `${new Date(k.t).toISOString()},${k.o},${k.h},${k.l},${k.c},${k.v}\n`);
      fdatasyncSync(fds.get(k.s)!);
      written.set(`${k.s} ${k.t}`, preciseNow());
      if (written.size === CLOSES) resolve();
    };
  });
  ws.close();
  for (const fd of fds.values()) closeSync(fd);
  return _latencies(conn, written);
}

/** Connection `conn`: the recorder's own supervisor, writer and heartbeat. */
async function _recorder(conn: number): Promise<number[]> {
  await awayFromMinuteEnd();
  const config = resolveConfig({}, undefined, { symbol: SYMBOLS.join(","), interval: "1m", wsUrl: wsBase!, restUrl: wsBase!.replace("ws", "http"), restartEvery: "0", out: join(dir, "csv"), state: join(dir, "state.json") });
  const written = new Map<string, number>();
  const seen = new Map<string, number>();
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let heartbeat: ReturnType<typeof createHeartbeat> | undefined;
  const supervisor = createSupervisor({
    config,
    version: "bench",
    onChange() {
      const now = preciseNow();
      for (const s of supervisor.streams) {
        if (s.candlesWritten === (seen.get(s.key) ?? 0)) continue;
        seen.set(s.key, s.candlesWritten);
        written.set(`${s.symbol} ${s.lastCandle}`, now);
      }
      if (written.size === CLOSES) done();
      heartbeat?.touch();
    },
  });
  supervisor.start();
  heartbeat = createHeartbeat({ path: config.stateFile, clock: systemClock, intervalMs: config.heartbeatIntervalMs, build: () => supervisor.state() });
  await finished;
  supervisor.stop("done");
  heartbeat.stop();
  return _latencies(conn, written);
}

async function _latencies(conn: number, written: Map<string, number>): Promise<number[]> {
  const sent = (await (await fetch(`${timesUrl}?conn=${conn}`)).json()) as [string, number, number][];
  return sent.map(([symbol, openTime, at]) => {
    const t = written.get(`${symbol} ${openTime}`);
    if (t === undefined) throw new Error(`${symbol} ${new Date(openTime).toISOString()} was never written`);
    return t - at;
  });
}
