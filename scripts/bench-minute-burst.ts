/**
 * Benchmark, minute burst: recording the whole market, ~1,500 1m streams close in the same
 * second. Each round appends one row to every one of N candle writers at once ("the minute"),
 * then measures for every row the time from that instant to its fdatasync returning
 * (close-to-disk: the writer's onSynced), and how long the main thread was blocked: the
 * synchronous append loop, and the longest stall a 1 ms timer saw until every row was synced.
 *
 * (a) inline: write(2) + fdatasync per row on the main thread (no syncPool).
 * (b) pool: write(2) on the main thread, fdatasync on createSyncPool's worker threads.
 *
 * Real CSVs in a temporary directory on the repository's disk (not tmpfs). One warm-up round
 * per mode is not counted (it starts the pool's threads); its figures are printed apart.
 *
 *   bun scripts/bench-minute-burst.ts [--files 1500] [--rounds 5] [--threads 16] [--json]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Candle } from "../src/candles/candle.ts";
import { createSyncPool, type SyncPool } from "../src/candles/sync-pool.ts";
import { createCandleWriter } from "../src/candles/writer.ts";
import { formatCount, formatMs, markdownTable, percentile } from "./lib/stats.ts";
import { preciseNow } from "./lib/timing.ts";

const { values } = parseArgs({
  options: { files: { type: "string", default: "1500" }, rounds: { type: "string", default: "5" }, threads: { type: "string", default: "16" }, json: { type: "boolean", default: false } },
});
const FILES = Number(values.files);
const ROUNDS = Number(values.rounds);
const THREADS = Number(values.threads);
const MINUTE_MS = 60_000;
/** Time between rounds, so one round's writeback does not spill into the next. */
const PAUSE_MS = 300;

const dir = mkdtempSync(join(_sameDiskAsRepo(), "bench-minute-burst-"));
try {
  const inline = await _mode("inline", undefined);
  const pool = createSyncPool({ threads: THREADS });
  const pooled = await _mode("pool", pool);
  pool.close();
  if (values.json) console.log(JSON.stringify({ files: FILES, rounds: ROUNDS, threads: THREADS, inline, pool: pooled }));
  else {
    const row = (label: string, r: _Result) => [label, formatCount(r.rows), formatMs(r.p50), formatMs(r.p99), formatMs(r.max), formatMs(percentile(r.roundP99s, 50)), formatMs(r.loopP50), formatMs(r.stallMax)];
    console.log(`${formatCount(FILES)} writers, ${ROUNDS} rounds (+1 warm-up), CSVs in ${dir}`);
    console.log(
      markdownTable(
        [
          ["fdatasync", "rows", "close-to-disk p50", "p99", "max", "median round's p99", "append loop (p50 of rounds)", "longest main-thread stall"],
          row("(a) inline, per row", inline),
          row(`(b) sync pool, ${THREADS} threads`, pooled),
        ],
        ["l", "r", "r", "r", "r", "r", "r", "r"],
      ),
    );
    console.log(`warm-up round: inline p99 ${formatMs(inline.warmup.p99)}, loop ${formatMs(inline.warmup.loop)}; pool p99 ${formatMs(pooled.warmup.p99)}, loop ${formatMs(pooled.warmup.loop)} (starts its threads)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

interface _Result {
  rows: number;
  p50: number;
  p99: number;
  max: number;
  /** Each round's p99: the p99 over all rows is the worst rounds' tail. */
  roundP99s: number[];
  loopP50: number;
  stallMax: number;
  warmup: { p99: number; loop: number };
}

/** Opens FILES writers, runs the warm-up and ROUNDS rounds, closes them. */
async function _mode(name: string, pool: SyncPool | undefined): Promise<_Result> {
  let roundStart = 0;
  let latencies: number[] = [];
  const writers = Array.from({ length: FILES }, (_, i) =>
    createCandleWriter({ path: join(dir, `${name}-${i}.csv`), columns: "basic", syncPool: pool, onSynced: () => latencies.push(preciseNow() - roundStart) }),
  );
  const all: number[] = [];
  const loops: number[] = [];
  const roundP99s: number[] = [];
  let stallMax = 0;
  let warmup = { p99: NaN, loop: NaN };
  for (let round = 0; round <= ROUNDS; round++) {
    latencies = [];
    const stalls = _watchStalls();
    roundStart = preciseNow();
    for (const w of writers) w.append(_candle(round));
    const loop = preciseNow() - roundStart;
    while (latencies.length < FILES) await Bun.sleep(1);
    const stall = stalls.stop();
    if (round === 0) warmup = { p99: percentile(latencies, 99), loop };
    else {
      all.push(...latencies);
      roundP99s.push(percentile(latencies, 99));
      loops.push(loop);
      stallMax = Math.max(stallMax, stall, loop);
    }
    await Bun.sleep(PAUSE_MS);
  }
  for (const w of writers) w.close();
  return { rows: all.length, p50: percentile(all, 50), p99: percentile(all, 99), max: Math.max(...all), roundP99s, loopP50: percentile(loops, 50), stallMax, warmup };
}

/** The longest gap between ticks of a 1 ms timer, less the 1 ms: how long nothing else could run. */
function _watchStalls() {
  let last = preciseNow();
  let worst = 0;
  const timer = setInterval(() => {
    const now = preciseNow();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(worst, preciseNow() - last - 1);
    },
  };
}

function _candle(round: number): Candle {
  const openTime = Date.UTC(2024, 0, 1) + round * MINUTE_MS;
  const price = (1 + round / 1e4).toFixed(8);
  return {
    symbol: "BENCHUSDT", interval: "1m", openTime, closeTime: openTime + MINUTE_MS - 1,
    open: price, high: price, low: price, close: price, volume: "1.00000000",
    quoteVolume: "1.00000000", trades: 1, takerBuyBase: "0.50000000", takerBuyQuote: "0.50000000",
  };
}

/** The system temp dir if it is on the repository's disk (not tmpfs), else the repository itself. */
function _sameDiskAsRepo(): string {
  const repo = join(import.meta.dir, "..");
  return statSync(tmpdir()).dev === statSync(repo).dev ? tmpdir() : repo;
}
