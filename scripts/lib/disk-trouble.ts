/**
 * Disk trouble: the recorder's CSV filesystem runs full, then its CSVs turn read-only,
 * each for a while; the rows it held in memory must land once the disk is back, in
 * order, none lost or doubled.
 *
 * Full: a small tmpfs mounted here (root), 5 streams of 1s candles, then a filler file
 * takes every free byte until the recorder reports a failing write, and is deleted 3 s
 * later. tmpfs allocates whole 4 KiB pages, so a CSV write fails only once the file's
 * last page is full: the CSVs are laid down beforehand with a few minutes of true history
 * that ends a few rows short of a page, so that happens within seconds.
 * Read-only: the kernel refuses `remount,ro` while a file is open for writing (EBUSY),
 * so a filesystem cannot turn read-only under a running recorder short of an ext4 error;
 * the CSVs are made immutable instead (`chattr +i`: appends fail with EPERM on ext4),
 * on the temporary directory's filesystem, for 4 s.
 *
 * `runDiskTroubleAnywhere` mounts as root, else re-runs this file under `unshare -Urm`,
 * else reports the scenario skipped with the reason.
 *
 *   bun scripts/lib/disk-trouble.ts DIR     (prints the result as JSON)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { candleOpenAt } from "../../src/time/intervals.ts";
import { canMountTmpfs, fillFilesystem, immutableBlocksAppends, runChecked } from "./disk-tools.ts";
import { waitFor } from "./process-io.ts";
import { spawnRecorder, stopProcess } from "./recorder.ts";
import { checkCsv, totalVerdicts } from "./truth-check.ts";

export interface PhaseResult {
  /** Streams whose CSV writes failed, and how many of them reported recovery. */
  failing: number;
  recovered: number;
  rows: number;
  lost: number;
  duplicated: number;
  wrong: number;
}

export interface DiskTroubleResult {
  full: PhaseResult | { skipped: string };
  readOnly: PhaseResult | { skipped: string };
  problems: string[];
}

/** Why the disk trouble scenario cannot run on this machine, or undefined when it can (here or under `unshare -Urm`). */
export function diskTroubleUnsupported(dir: string): string | undefined {
  if (canMountTmpfs(dir)) return undefined;
  if (!Bun.which("unshare")) return "cannot mount a tmpfs here, and unshare (util-linux) is not installed";
  const probe = Bun.spawnSync(["unshare", "-Urm", "sh", "-c", `mount -t tmpfs -o size=64k tmpfs '${dir}'`], { stdout: "pipe", stderr: "pipe" });
  if (probe.exitCode === 0) return undefined;
  return `cannot mount a tmpfs here, nor under 'unshare -Urm' (${probe.stderr.toString().trim().split("\n").pop() || `exit ${probe.exitCode}`})`;
}

/** Runs both phases here when this process may mount, else in a user namespace, else skips. */
export async function runDiskTroubleAnywhere(dir: string): Promise<DiskTroubleResult> {
  if (canMountTmpfs(dir)) return runDiskTrouble(dir);
  const why = diskTroubleUnsupported(dir);
  if (why) return { full: { skipped: why }, readOnly: { skipped: why }, problems: [] };
  const bun = join(import.meta.dir, "../../node_modules/.bin/bun");
  const child = Bun.spawnSync(["unshare", "-Urm", bun, import.meta.path, dir], { stdout: "pipe", stderr: "pipe" });
  if (child.exitCode === 0) return JSON.parse(child.stdout.toString());
  return { full: { skipped: "failed (see problems)" }, readOnly: { skipped: "failed (see problems)" }, problems: [`the scenario under 'unshare -Urm' failed (exit ${child.exitCode}): ${child.stderr.toString().trim().slice(-500)}`] };
}

/** Both phases in this process, which must be allowed to mount. */
export async function runDiskTrouble(dir: string): Promise<DiskTroubleResult> {
  const problems: string[] = [];
  const symbols = ["BTCUSDT", "ETHUSDT", "PEPEUSDT", "SOLUSDT", "DOGEUSDT"];
  const exchange = await startExchange({ symbols, seed: 9, log: () => {} });
  try {
    const full = await _fullPhase(join(dir, "full"), exchange, symbols, problems);
    const readOnly = await _readOnlyPhase(join(dir, "ro"), exchange, symbols, problems);
    return { full, readOnly, problems };
  } finally {
    await exchange.stop();
  }
}

// --- internal ---

async function _fullPhase(dir: string, exchange: Exchange, symbols: string[], problems: string[]): Promise<PhaseResult> {
  const disk = join(dir, "disk");
  mkdirSync(disk, { recursive: true });
  runChecked(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", disk]);
  try {
    mkdirSync(join(disk, "csv"));
    for (const symbol of symbols) _historyNearPageEnd(join(disk, "csv", `candles_${symbol}_1s.csv`), exchange, symbol);
    return await _recordThrough(dir, disk, exchange, symbols, problems, {
      async trouble(log) {
        const filler = join(disk, "filler");
        fillFilesystem(filler);
        await waitFor(() => log().includes("CSV write failing"), "a CSV write to fail on the full disk", 90_000, 100);
        await Bun.sleep(3000);
        rmSync(filler);
      },
    });
  } finally {
    runChecked(["umount", "-l", disk]);
  }
}

async function _readOnlyPhase(dir: string, exchange: Exchange, symbols: string[], problems: string[]): Promise<PhaseResult | { skipped: string }> {
  mkdirSync(dir, { recursive: true });
  const why = immutableBlocksAppends(dir);
  if (why) return { skipped: why };
  let csvs: string[] = [];
  try {
    return await _recordThrough(dir, dir, exchange, symbols, problems, {
      async trouble(log) {
        csvs = symbols.map((s) => join(dir, "csv", `candles_${s}_1s.csv`));
        runChecked(["chattr", "+i", ...csvs]);
        await waitFor(() => (log().match(/CSV write failing/g) ?? []).length >= symbols.length, "every CSV write to fail", 20_000, 100);
        await Bun.sleep(4000);
        runChecked(["chattr", "-i", ...csvs]);
      },
    });
  } finally {
    if (csvs.length > 0) Bun.spawnSync(["chattr", "-i", ...csvs]);
  }
}

/** Records into `disk/csv`, lets `trouble` break the disk and mend it, then checks every CSV. */
async function _recordThrough(dir: string, disk: string, exchange: Exchange, symbols: string[], problems: string[], phase: { trouble(log: () => string): Promise<void> }): Promise<PhaseResult> {
  const logPath = join(dir, "run.log");
  const log = () => readFileSync(logPath, "utf8");
  const startedAt = Date.now();
  const recorder = spawnRecorder({ symbols, interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, out: join(disk, "csv"), state: join(disk, "state.json"), logPath });
  let stopAt = Date.now();
  let failing = 0;
  let recovered = 0;
  try {
    await waitFor(() => (log().match(/backfill repaired|connected \(/g) ?? []).length > 0, "the recorder to start", 20_000, 100);
    await Bun.sleep(2500);
    await phase.trouble(log);
    const streamsFailing = () => new Set([...log().matchAll(/(\S+@1s): CSV write failing/g)].map((m) => m[1]));
    const streamsRecovered = () => new Set([...log().matchAll(/(\S+@1s): CSV writes recovered/g)].map((m) => m[1]));
    await waitFor(() => [...streamsFailing()].every((s) => streamsRecovered().has(s)), "every failing CSV to recover", 40_000, 100).catch((err) => problems.push(String(err)));
    failing = streamsFailing().size;
    recovered = streamsRecovered().size;
    await Bun.sleep(2000);
  } finally {
    stopAt = Date.now();
    const code = await stopProcess(recorder);
    if (code !== 0) problems.push(`${dir}: the recorder exited ${code} on SIGTERM`);
  }
  const range = { from: candleOpenAt("1s", startedAt) + 3000, until: candleOpenAt("1s", stopAt - 2000) };
  const total = totalVerdicts(symbols.map((s) => checkCsv(join(disk, "csv", `candles_${s}_1s.csv`), exchange, s, "1s", range)));
  problems.push(...total.problems);
  return { failing, recovered, rows: total.rows, lost: total.lost, duplicated: total.duplicated, wrong: total.wrong };
}

/** Rows this far short of a page end when the recorder starts: its catch-up and a few seconds. */
const SLACK_ROWS = 6;

/**
 * A CSV of true 1s candles up to 2 s ago (as a recorder stopped then would leave it),
 * long enough to end SLACK_ROWS rows short of a 4 KiB page boundary.
 */
function _historyNearPageEnd(path: string, exchange: Exchange, symbol: string): void {
  const last = candleOpenAt("1s", Date.now()) - 2000;
  const row = (t: number) => {
    const k = exchange.truth(symbol, "1s", t)!;
    return `${new Date(t).toISOString().slice(0, 19)}Z,${k.open},${k.high},${k.low},${k.close},${k.volume}\n`;
  };
  const rows: string[] = [];
  let size = "timestamp,open,high,low,close,volume\n".length;
  for (let t = last; ; t -= 1000) {
    const r = row(t);
    if (size + r.length > 4096 - SLACK_ROWS * r.length) break;
    rows.unshift(r);
    size += r.length;
  }
  writeFileSync(path, `timestamp,open,high,low,close,volume\n${rows.join("")}`);
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: bun scripts/lib/disk-trouble.ts DIR");
  console.log(JSON.stringify(await runDiskTrouble(dir)));
}
