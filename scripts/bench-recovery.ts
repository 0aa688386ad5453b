/**
 * Benchmark 4, recovery: the server drops the connection at a 1s candle boundary instead
 * of sending that candle's close (the outage swallows it). Measured: the time from the
 * drop to the first frame sent on the new connection (the server sends one the moment a
 * connection opens), and to the swallowed candle's row being on disk in every CSV
 * (fetched over REST by the backfill; the CSVs are polled every millisecond). The floor
 * is a bare client that reconnects at once and asks REST for what it missed
 * (scripts/lib/floor-reconnect.ts), measured the same way, turn about.
 *
 * Drops come at least 6 s apart: each one ends a connection that was stable (up 5 s with
 * data), which the recorder retries at once. A connection that flaps faster is retried
 * with exponential backoff and full jitter, by design, and would measure that instead.
 *
 *   bun scripts/bench-recovery.ts [--trials 20] [--json]
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { formatIsoSeconds } from "../src/time/timestamp.ts";
import { startBenchServer, type BenchSocket } from "./lib/bench-server.ts";
import { klineFrame, klineRow, type FrameSpec } from "./lib/kline-frame.ts";
import { waitFor } from "./lib/process-io.ts";
import { spawnRecorder, stopProcess } from "./lib/recorder.ts";
import { formatMs, formatRatio, markdownTable, median, percentile } from "./lib/stats.ts";
import { preciseNow } from "./lib/timing.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "20" }, json: { type: "boolean", default: false } } });
const TRIALS = Number(values.trials);
const SYMBOLS = ["R1USDT", "R2USDT", "R3USDT"];
const SECOND = 1000;
const UPDATE_EVERY_MS = 250;
/** Longer than the recorder's 5 s of uptime that makes its next retry immediate again. */
const STABLE_MS = 6000;

const open = new Set<BenchSocket>();
let firstFrameAt: number | undefined;
let dropAtBoundary = false;
let droppedAt: number | undefined;
const server = startBenchServer({
  onOpen(ws) {
    open.add(ws);
    _sendUpdates(ws, Date.now());
    firstFrameAt ??= preciseNow();
  },
  onClose: (ws) => open.delete(ws),
  klines({ symbol, startTime, limit }) {
    const now = Date.now();
    const rows: unknown[] = [];
    for (let t = Math.ceil(startTime / SECOND) * SECOND; t <= now && rows.length < limit; t += SECOND) rows.push(klineRow(_spec(symbol, t)));
    return rows;
  },
});
let ticking = true;
_tickBoundaries();
const updates = setInterval(() => open.forEach((ws) => _sendUpdates(ws, Date.now())), UPDATE_EVERY_MS);

const dir = mkdtempSync(join(tmpdir(), "bench-recovery-"));
const bun = join(import.meta.dir, "../node_modules/.bin/bun");
try {
  const results: Record<"floor" | "recorder", { firstMs: number[]; backfillMs: number[] }> = { floor: { firstMs: [], backfillMs: [] }, recorder: { firstMs: [], backfillMs: [] } };
  for (const kind of ["floor", "recorder"] as const) {
    const out = join(dir, kind);
    mkdirSync(out);
    const proc: Subprocess =
      kind === "floor"
        ? Bun.spawn([bun, join(import.meta.dir, "lib/floor-reconnect.ts"), server.wsUrl, server.url, SYMBOLS.join(","), out], { stdout: "inherit", stderr: "inherit" })
        : spawnRecorder({ symbols: SYMBOLS, interval: "1s", wsUrl: server.wsUrl, restUrl: server.url, out, state: join(dir, "state.json"), logPath: join(dir, "run.log") });
    try {
      await waitFor(() => SYMBOLS.every((s) => _hasRows(join(out, `candles_${s}_1s.csv`))), `${kind} to write its first rows`);
      for (let trial = 1; trial <= TRIALS; trial++) {
        const t = await _trial(out);
        results[kind].firstMs.push(t.firstMs);
        results[kind].backfillMs.push(t.backfillMs);
        if (!values.json) console.log(`${kind} trial ${trial}: first frame after ${formatMs(t.firstMs)}, backfill on disk after ${formatMs(t.backfillMs)}`);
      }
    } finally {
      if (kind === "floor") proc.kill();
      else await stopProcess(proc);
      await proc.exited;
    }
  }
  const stat = (xs: number[]) => ({ p50: median(xs), p90: percentile(xs, 90), max: Math.max(...xs) });
  const summary = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { first: stat(r.firstMs), backfill: stat(r.backfillMs) }])) as Record<"floor" | "recorder", { first: ReturnType<typeof stat>; backfill: ReturnType<typeof stat> }>;
  if (values.json) console.log(JSON.stringify({ trials: TRIALS, summary }));
  else {
    const row = (what: string, k: "floor" | "recorder", m: "first" | "backfill") => {
      const s = summary[k][m];
      return [what, formatMs(s.p50), formatMs(s.p90), formatMs(s.max), formatRatio(s.p50 / summary.floor[m].p50)];
    };
    console.log(`\n${TRIALS} drops per client, ${SYMBOLS.length} streams of 1s klines`);
    console.log(
      markdownTable(
        [
          ["from the drop to", "p50", "p90", "max", "p50 vs floor"],
          row("first frame on the new connection: bare client (floor)", "floor", "first"),
          row("first frame on the new connection: resilience run", "recorder", "first"),
          row("missed candle on disk in every CSV: bare client (floor)", "floor", "backfill"),
          row("missed candle on disk in every CSV: resilience run", "recorder", "backfill"),
        ],
        ["l", "r", "r", "r", "r"],
      ),
    );
  }
} finally {
  clearInterval(updates);
  ticking = false;
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

/** Arms a drop for the next boundary, then waits for the new connection's first frame and the swallowed rows. */
async function _trial(out: string): Promise<{ firstMs: number; backfillMs: number }> {
  await Bun.sleep(STABLE_MS + Math.random() * 500);
  const swallowed = Math.floor(Date.now() / SECOND) * SECOND; // closes at the next boundary
  firstFrameAt = undefined;
  droppedAt = undefined;
  dropAtBoundary = true;
  await waitFor(() => droppedAt !== undefined && firstFrameAt !== undefined, "the reconnection", 30_000, 1);
  const stamp = formatIsoSeconds(swallowed);
  await waitFor(() => SYMBOLS.every((s) => _tailHas(join(out, `candles_${s}_1s.csv`), stamp)), `the row ${stamp}`, 30_000, 1);
  const backfilledAt = preciseNow();
  return { firstMs: firstFrameAt! - droppedAt!, backfillMs: backfilledAt - droppedAt! };
}

/** At each second: either the closes of the candle that just ended, or (armed) a drop instead. */
function _tickBoundaries(): void {
  if (!ticking) return;
  const next = Math.ceil((Date.now() + 1) / SECOND) * SECOND;
  setTimeout(() => {
    const closed = next - SECOND;
    if (dropAtBoundary) {
      dropAtBoundary = false;
      droppedAt = preciseNow();
      for (const ws of open) ws.terminate();
    } else {
      for (const ws of open) for (const s of SYMBOLS) ws.sendText(klineFrame({ ..._spec(s, closed), closed: true, eventTime: Date.now() }));
    }
    _tickBoundaries();
  }, next - Date.now());
}

function _sendUpdates(ws: BenchSocket, now: number): void {
  const open = Math.floor(now / SECOND) * SECOND;
  for (const s of SYMBOLS) ws.sendText(klineFrame({ ..._spec(s, open), closed: false, eventTime: now }));
}

function _spec(symbol: string, openTime: number): Omit<FrameSpec, "closed" | "eventTime"> {
  return { symbol, interval: "1s", openTime, nextOpenTime: openTime + SECOND, seq: (openTime / SECOND) % 1_000_003 };
}

function _hasRows(path: string): boolean {
  return existsSync(path) && statSync(path).size > 100;
}

/** True when one of the last rows of `path` starts with `stamp`. */
function _tailHas(path: string, stamp: string): boolean {
  try {
    const fd = openSync(path, "r");
    const size = statSync(path).size;
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, 1024, Math.max(0, size - 1024));
    closeSync(fd);
    return buf.subarray(0, n).toString().includes(`\n${stamp},`);
  } catch {
    return false;
  }
}
