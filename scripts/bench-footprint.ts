/**
 * Benchmark 3, footprint: RSS and CPU% of `dist/resilience run` idle against the
 * simulated exchange (1m klines: an update every 2 s per stream, closes each minute) on
 * 1 stream and on 200 streams, each for `--minutes` (default 5) after a 10 s warm-up;
 * the floor is a bare compiled Bun client on the same streams, only JSON.parsing, measured
 * side by side. Then RSS across 1,000 reconnects (the server drops the connection, the
 * recorder reconnects at once): no growth wanted.
 *
 *   bun scripts/bench-footprint.ts [--minutes 5] [--reconnects 1000] [--json]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { startExchange, type Exchange } from "../src/sim/exchange.ts";
import { compileFloorClient } from "./lib/floor-binary.ts";
import { cpuTimeMs, memoryKb, sampleRss } from "./lib/proc-stats.ts";
import { waitFor } from "./lib/process-io.ts";
import { spawnRecorder, stopProcess } from "./lib/recorder.ts";
import { formatCount, formatKb, formatRatio, markdownTable, median } from "./lib/stats.ts";

const { values } = parseArgs({ options: { minutes: { type: "string", default: "5" }, reconnects: { type: "string", default: "1000" }, json: { type: "boolean", default: false } } });
const WINDOW_MS = Number(values.minutes) * 60_000;
const RECONNECTS = Number(values.reconnects);
const WARMUP_MS = 10_000;
const log = (line: string) => values.json || console.log(line);

const dir = mkdtempSync(join(tmpdir(), "bench-footprint-"));
const floorBin = compileFloorClient(dir);
const symbols200 = Array.from({ length: 200 }, (_, i) => `F${i + 1}USDT`);
const exchange = await startExchange({ symbols: ["BTCUSDT", ...symbols200], seed: 7, log: () => {} });

interface Idle {
  streams: number;
  recorder: { rssKb: number; maxRssKb: number; cpuPct: number };
  floor: { rssKb: number; maxRssKb: number; cpuPct: number };
}
try {
  const idle: Idle[] = [];
  for (const symbols of [["BTCUSDT"], symbols200]) idle.push(await _idle(exchange, symbols));
  const churn = await _churn(exchange);
  if (values.json) console.log(JSON.stringify({ windowMs: WINDOW_MS, idle, churn }));
  else {
    const pct = (x: number) => `${x.toFixed(2)} %`;
    console.log(`\nidle for ${values.minutes} min after a ${WARMUP_MS / 1000} s warm-up (1m klines; RSS: median of 1 s samples, max)`);
    console.log(
      markdownTable(
        [
          ["streams", "resilience RSS (max)", "floor RSS (max)", "RSS vs floor", "resilience CPU", "floor CPU", "CPU vs floor"],
          ...idle.map((r) => [
            String(r.streams),
            `${formatKb(r.recorder.rssKb)} (${formatKb(r.recorder.maxRssKb)})`,
            `${formatKb(r.floor.rssKb)} (${formatKb(r.floor.maxRssKb)})`,
            formatRatio(r.recorder.rssKb / r.floor.rssKb),
            pct(r.recorder.cpuPct),
            pct(r.floor.cpuPct),
            formatRatio(r.recorder.cpuPct / r.floor.cpuPct),
          ]),
        ],
        ["r", "r", "r", "r", "r", "r", "r"],
      ),
    );
    console.log(`\nreconnect churn (10 streams; the server drops the connection ${formatCount(RECONNECTS)} times)`);
    console.log(
      markdownTable(
        [["reconnects", ...churn.map((c) => formatCount(c.reconnects))], ["RSS", ...churn.map((c) => formatKb(c.rssKb))], ["vs after 100", ...churn.map((c) => formatRatio(c.rssKb / (churn.find((x) => x.reconnects >= 100) ?? churn[0]!).rssKb))]],
        ["l", ...churn.map(() => "r" as const)],
      ),
    );
  }
} finally {
  await exchange.stop();
  rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

/** The recorder and the floor side by side on `symbols` for the window. */
async function _idle(exchange: Exchange, symbols: string[]): Promise<Idle> {
  const run = join(dir, `idle-${symbols.length}`);
  const recorder = spawnRecorder({ symbols, interval: "1m", wsUrl: exchange.wsUrl, restUrl: exchange.url, out: join(run, "csv"), state: join(run, "state.json"), logPath: `${run}.log` });
  const floor = Bun.spawn([floorBin, `${exchange.wsUrl}/stream?streams=${symbols.map((s) => `${s.toLowerCase()}@kline_1m`).join("/")}`, "0"], { stdout: "ignore", stderr: "inherit" });
  try {
    await Bun.sleep(WARMUP_MS);
    log(`${symbols.length} stream(s): measuring for ${values.minutes} min`);
    const measured = [_window(recorder), _window(floor)] as const;
    await Bun.sleep(WINDOW_MS);
    const [r, f] = measured.map((m) => m.end());
    return { streams: symbols.length, recorder: r!, floor: f! };
  } finally {
    floor.kill();
    await stopProcess(recorder);
  }
}

function _window(proc: Subprocess) {
  const cpu0 = cpuTimeMs(proc.pid);
  const t0 = performance.now();
  const rss = sampleRss(proc.pid, 1000);
  return {
    end() {
      const cpuPct = ((cpuTimeMs(proc.pid) - cpu0) / (performance.now() - t0)) * 100;
      const samples = rss.stop();
      return { rssKb: median(samples), maxRssKb: Math.max(...samples), cpuPct };
    },
  };
}

/** Drops the connection RECONNECTS times, waiting each time for the recorder to be back; RSS every 100. */
async function _churn(exchange: Exchange): Promise<{ reconnects: number; rssKb: number }[]> {
  const run = join(dir, "churn");
  const config = join(dir, "churn.yml");
  // Reconnect at once every time: the backoff's growth would only make this take hours.
  writeFileSync(config, "websocket:\n  reconnect:\n    delay: 1ms\n    max_delay: 20ms\n");
  const symbols = symbols200.slice(0, 10);
  const recorder = spawnRecorder({ symbols, interval: "1m", wsUrl: exchange.wsUrl, restUrl: exchange.url, out: join(run, "csv"), state: join(run, "state.json"), logPath: `${run}.log`, extra: ["--config", config] });
  const out: { reconnects: number; rssKb: number }[] = [];
  try {
    await waitFor(() => exchange.stats().openConnections === 1, "the recorder to connect");
    await Bun.sleep(2000);
    out.push({ reconnects: 0, rssKb: memoryKb(recorder.pid).rssKb });
    for (let i = 1; i <= RECONNECTS; i++) {
      const before = exchange.stats().connections;
      exchange.drop();
      await waitFor(() => exchange.stats().connections > before && exchange.stats().openConnections === 1, `reconnect ${i}`, 30_000, 2);
      if (i % 100 === 0 || i === RECONNECTS) {
        await Bun.sleep(200);
        out.push({ reconnects: i, rssKb: memoryKb(recorder.pid).rssKb });
        log(`  ${i} reconnects: RSS ${formatKb(out[out.length - 1]!.rssKb)}`);
      }
    }
  } finally {
    await stopProcess(recorder);
  }
  return out;
}
