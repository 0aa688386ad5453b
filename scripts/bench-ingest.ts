/**
 * Benchmark 1, ingest: CPU time (user+sys from /proc/<pid>/stat, start-up excluded) and
 * wall time for 1,000,000 kline messages (in-progress updates and closes over 50 streams
 * on one combined connection) from a local server through the real recorder
 * (`dist/resilience run`, which parses, validates, dispatches and writes every close with
 * write+fdatasync), against a bare Bun client that only JSON.parses each message (the
 * runtime's floor) and a Python websockets + json client (the anchor's stack).
 *
 *   bun scripts/bench-ingest.ts [--messages 1000000] [--streams 50] [--per-candle 20] [--runs 3] [--no-python] [--json]
 *
 * The recorder runs twice per round: with its CSVs on the temporary directory's disk (the
 * real cost, one fdatasync per row) and on tmpfs (/dev/shm, where fdatasync costs nothing:
 * what parsing, validation and dispatch cost). `--profile DIR` runs the recorder from
 * source under `bun --cpu-prof --cpu-prof-md` and leaves the profile in DIR.
 */
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { candleOpenAt } from "../src/time/intervals.ts";
import { formatIsoSeconds } from "../src/time/timestamp.ts";
import { startBenchServer, sendAll, type BenchSocket } from "./lib/bench-server.ts";
import { expectedRow, klineFrame, type FrameSpec } from "./lib/kline-frame.ts";
import { cpuTimes, memoryKb } from "./lib/proc-stats.ts";
import { pythonWithWebsockets } from "./lib/python.ts";
import { ensureBinary, spawnRecorder, stopProcess } from "./lib/recorder.ts";
import { formatCount, formatKb, formatMs, formatRatio, markdownTable, median } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    streams: { type: "string", default: "50" },
    "per-candle": { type: "string", default: "20" },
    runs: { type: "string", default: "3" },
    "no-python": { type: "boolean", default: false },
    profile: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const MESSAGES = Number(values.messages);
const STREAMS = Number(values.streams);
const PER_CANDLE = Number(values["per-candle"]);
const RUNS = Number(values.runs);
const PER_STREAM = MESSAGES / STREAMS;
if (!Number.isInteger(PER_STREAM) || PER_STREAM % PER_CANDLE !== 0) throw new Error("--messages must split evenly into --streams × --per-candle");
const SYMBOLS = Array.from({ length: STREAMS }, (_, i) => `S${i + 1}`);
const MINUTE_MS = 60_000;

type Kind = "floor" | "recorder" | "tmpfs" | "python";
interface Measure {
  cpuMs: number;
  userMs: number;
  sysMs: number;
  wallMs: number;
  peakKb: number;
}

const bun = join(import.meta.dir, "../node_modules/.bin/bun");
const python = values["no-python"] ? undefined : pythonWithWebsockets();
ensureBinary();

/** What the server does for the client under test. */
let session: { open(ws: BenchSocket): void; message?(text: string): void } | undefined;
const server = startBenchServer({ onOpen: (ws) => session?.open(ws), onMessage: (_ws, text) => session?.message?.(text) });
const streamPath = `/stream?streams=${SYMBOLS.map((s) => `${s.toLowerCase()}@kline_1m`).join("/")}`;

const SHM = "/dev/shm";
const kinds: Kind[] = ["floor", "recorder", ...(existsSync(SHM) ? (["tmpfs"] as const) : []), ...(python ? (["python"] as const) : [])];
const results: Record<Kind, Measure[]> = { floor: [], recorder: [], tmpfs: [], python: [] };
for (let run = 1; run <= RUNS; run++) {
  for (const kind of kinds) {
    const m = await measure(kind);
    results[kind].push(m);
    if (!values.json) console.log(`run ${run} ${kind.padEnd(8)} cpu ${formatMs(m.cpuMs).padStart(8)} (user ${formatMs(m.userMs)}, sys ${formatMs(m.sysMs)})  wall ${formatMs(m.wallMs).padStart(8)}  peak RSS ${formatKb(m.peakKb)}`);
  }
}
await server.stop();

const summary = Object.fromEntries(
  kinds.map((k) => [k, Object.fromEntries((["cpuMs", "userMs", "sysMs", "wallMs", "peakKb"] as const).map((f) => [f, median(results[k].map((m) => m[f]))]))]),
) as unknown as Record<Kind, Measure>;
const floor = summary.floor;
if (values.json) {
  console.log(JSON.stringify({ messages: MESSAGES, streams: STREAMS, perCandle: PER_CANDLE, runs: RUNS, python: python?.version ?? null, summary }));
} else {
  const label: Record<Kind, string> = {
    floor: "bare Bun client, JSON.parse only (floor)",
    recorder: `resilience run, CSVs on ${_fsType(tmpdir())} (parse, validate, dispatch, write + fdatasync each close)`,
    tmpfs: "resilience run, CSVs on tmpfs (fdatasync is free: parse, validate, dispatch, write)",
    python: `Python websockets + json (${python?.version})`,
  };
  const rows = kinds.map((k) => {
    const m = summary[k];
    return [label[k], `${formatMs(m.cpuMs)} (${formatMs(m.userMs)} + ${formatMs(m.sysMs)})`, formatRatio(m.cpuMs / floor.cpuMs), formatMs(m.wallMs), formatRatio(m.wallMs / floor.wallMs), formatCount(MESSAGES / (m.wallMs / 1000)), formatKb(m.peakKb)];
  });
  console.log(`\n${formatCount(MESSAGES)} messages, ${STREAMS} streams on one connection, 1 close in ${PER_CANDLE} (${formatCount(MESSAGES / PER_CANDLE)} rows written); median of ${RUNS} run(s)`);
  if (!existsSync(SHM)) console.log(`${SHM} is missing: the tmpfs run was skipped`);
  if (!python && !values["no-python"]) console.log("Python websockets client skipped: no python3 with websockets (apt-get install -y python3-websockets)");
  console.log(markdownTable([["client", "CPU time (user + sys)", "vs floor", "wall time", "vs floor", "msg/s", "peak RSS"], ...rows], ["l", "r", "r", "r", "r", "r", "r"]));
}

// --- internal ---

async function measure(kind: Kind): Promise<Measure> {
  const dir = mkdtempSync(join(tmpdir(), "bench-ingest-"));
  try {
    await _awayFromMinuteEnd();
    // Frames are made before the client starts, so the server outpaces every client.
    const firstOpen = candleOpenAt("1m", Date.now());
    const frames = Array.from({ length: MESSAGES }, (_, i) => klineFrame(_spec(i, firstOpen)));
    let proc: Subprocess;
    const csvDir = kind === "tmpfs" ? mkdtempSync(join(SHM, "bench-ingest-")) : join(dir, "csv");
    const url = server.wsUrl + streamPath;
    if (kind === "floor") proc = Bun.spawn([bun, join(import.meta.dir, "lib/floor-ingest.ts"), url, String(MESSAGES)], { stdout: "inherit", stderr: "inherit" });
    else if (kind === "python") proc = Bun.spawn([python!.path, join(import.meta.dir, "lib/floor-ingest.py"), url, String(MESSAGES)], { stdout: "inherit", stderr: "inherit" });
    else {
      const command = values.profile ? [bun, "--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${values.profile}`, join(import.meta.dir, "../src/cli.ts")] : undefined;
      proc = spawnRecorder({ symbols: SYMBOLS, interval: "1m", wsUrl: server.wsUrl, restUrl: server.url, out: csvDir, state: join(dir, "state.json"), logPath: join(dir, "run.log"), command });
    }

    const result = await new Promise<Measure>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`${kind}: no result within 10 minutes (log in ${dir})`)), 600_000);
      let cpu0 = { userMs: 0, sysMs: 0 };
      let t0 = 0;
      const finish = () => {
        const wallMs = performance.now() - t0;
        const cpu = cpuTimes(proc.pid);
        const [userMs, sysMs] = [cpu.userMs - cpu0.userMs, cpu.sysMs - cpu0.sysMs];
        const m = { cpuMs: userMs + sysMs, userMs, sysMs, wallMs, peakKb: memoryKb(proc.pid).peakKb };
        clearTimeout(guard);
        resolve(m);
      };
      session = {
        open(ws) {
          cpu0 = cpuTimes(proc.pid);
          t0 = performance.now();
          sendAll(ws, frames).catch(reject);
          if (kind === "recorder" || kind === "tmpfs") _waitForLastRow(csvDir, firstOpen).then(finish, reject);
        },
        message(text) {
          if (text.startsWith("done")) finish();
        },
      };
      proc.exited.then((code) => reject(new Error(`${kind} exited early with ${code} (log in ${dir})`)));
    });
    session = undefined;
    if (kind === "recorder" || kind === "tmpfs") {
      await stopProcess(proc);
      _checkRows(csvDir, firstOpen);
      if (kind === "tmpfs") rmSync(csvDir, { recursive: true, force: true });
    } else {
      await proc.exited;
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Frame i: stream i % STREAMS; each stream's candles get PER_CANDLE events, the last one closing. */
function _spec(i: number, firstOpen: number): FrameSpec {
  const s = i % STREAMS;
  const c = Math.floor(i / STREAMS);
  const candle = Math.floor(c / PER_CANDLE);
  const openTime = firstOpen + candle * MINUTE_MS;
  return { symbol: SYMBOLS[s]!, interval: "1m", openTime, nextOpenTime: openTime + MINUTE_MS, closed: c % PER_CANDLE === PER_CANDLE - 1, eventTime: openTime + 1000, seq: i };
}

/** The last frame is the last stream's last close: once its row is on disk, everything was handled. */
async function _waitForLastRow(csvDir: string, firstOpen: number): Promise<void> {
  const path = join(csvDir, `candles_${SYMBOLS[STREAMS - 1]}_1m.csv`);
  const want = formatIsoSeconds(firstOpen + (PER_STREAM / PER_CANDLE - 1) * MINUTE_MS);
  const buf = Buffer.alloc(256);
  for (;;) {
    try {
      const fd = openSync(path, "r");
      const size = statSync(path).size;
      const n = readSync(fd, buf, 0, 256, Math.max(0, size - 256));
      closeSync(fd);
      const tail = buf.subarray(0, n).toString();
      if (tail.endsWith("\n") && tail.slice(0, -1).split("\n").pop()!.startsWith(want)) return;
    } catch {}
    await Bun.sleep(2);
  }
}

/** Every stream's CSV holds exactly its closes, each row as sent: the benchmark measured real work. */
function _checkRows(csvDir: string, firstOpen: number): void {
  for (let s = 0; s < STREAMS; s++) {
    const lines = readFileSync(join(csvDir, `candles_${SYMBOLS[s]}_1m.csv`), "utf8").split("\n").slice(1, -1);
    lines.forEach((line, candle) => {
      const i = (candle * PER_CANDLE + PER_CANDLE - 1) * STREAMS + s;
      const want = expectedRow(_spec(i, firstOpen), formatIsoSeconds);
      if (line !== want) throw new Error(`${SYMBOLS[s]} row ${candle + 1}: "${line}", expected "${want}"`);
    });
    if (lines.length !== PER_STREAM / PER_CANDLE) throw new Error(`${SYMBOLS[s]}: ${lines.length} rows, expected ${PER_STREAM / PER_CANDLE}`);
  }
}

/** `ext4` for the filesystem holding `path` (from `df --output=fstype`). */
function _fsType(path: string): string {
  const df = Bun.spawnSync(["df", "--output=fstype", path], { stdout: "pipe", stderr: "ignore" });
  return df.stdout.toString().trim().split("\n").pop() || "disk";
}

/** The recorder starts at the current minute's candle: start far enough from the minute's end that it is the one the frames begin with. */
async function _awayFromMinuteEnd(): Promise<void> {
  const left = MINUTE_MS - (Date.now() % MINUTE_MS);
  if (left < 10_000) await Bun.sleep(left + 200);
}
