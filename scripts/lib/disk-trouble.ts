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
 * else reports the scenario skipped with the reason. What each phase needs: root (or
 * unprivileged user namespaces and `unshare`, util-linux) and `mount` for the tmpfs;
 * root (CAP_LINUX_IMMUTABLE), `chattr` (e2fsprogs) and a temporary directory on a
 * filesystem that honours it (ext4, xfs, btrfs, tmpfs) for the immutable CSVs.
 * `diskTroubleMissing` says beforehand which phase would be skipped, and why.
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
import { checkCsv, closedBetween, openedBetween, totalVerdicts, type OpenTimeBound } from "./truth-check.ts";

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

/**
 * Why each phase would be skipped on this machine (undefined: it runs). The read-only
 * phase runs in the same process as the full one, so it needs the mount too.
 */
export function diskTroubleMissing(dir: string): { full: string | undefined; readOnly: string | undefined } {
  const full = diskTroubleUnsupported(dir);
  if (full) return { full, readOnly: full };
  if (canMountTmpfs(dir)) return { full, readOnly: immutableBlocksAppends(dir) };
  const probe = join(dir, "chattr-probe");
  writeFileSync(probe, "");
  try {
    const run = Bun.spawnSync(["unshare", "-Urm", "chattr", "+i", probe], { stdout: "pipe", stderr: "pipe" });
    return { full, readOnly: run.exitCode === 0 ? undefined : `not root: chattr +i needs CAP_LINUX_IMMUTABLE, which 'unshare -Urm' does not give (${run.stderr.toString().trim() || `exit ${run.exitCode}`})` };
  } finally {
    Bun.spawnSync(["unshare", "-Urm", "chattr", "-i", probe]);
    rmSync(probe, { force: true });
  }
}

/** Runs both phases here when this process may mount, else in a user namespace, else skips. */
export async function runDiskTroubleAnywhere(dir: string): Promise<DiskTroubleResult> {
  if (canMountTmpfs(dir)) return runDiskTrouble(dir);
  const why = diskTroubleUnsupported(dir);
  if (why) return { full: { skipped: why }, readOnly: { skipped: why }, problems: [] };
  const bun = join(import.meta.dir, "../../node_modules/.bin/bun");
  const child = Bun.spawnSync(["unshare", "-Urm", bun, import.meta.path, dir], { stdout: "pipe", stderr: "pipe" });
  if (child.exitCode === 0) return JSON.parse(child.stdout.toString());
  const notRun = { skipped: "not run: the scenario under 'unshare -Urm' failed (see problems)" };
  return { full: notRun, readOnly: notRun, problems: [`the scenario under 'unshare -Urm' failed (exit ${child.exitCode}): ${child.stderr.toString().trim().slice(-500)}`] };
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
    const firsts = new Map(symbols.map((s) => [s, _historyNearPageEnd(join(disk, "csv", `candles_${s}_1s.csv`), exchange, s)]));
    return await _recordThrough(dir, disk, exchange, symbols, problems, {
      first: (symbol) => firsts.get(symbol)!,
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
      first: (_symbol, startedAt, connectedAt) => openedBetween("1s", startedAt, connectedAt),
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

interface Phase {
  /** Where each CSV must start, given when the recorder was spawned and when it was seen connected. */
  first(symbol: string, startedAt: number, connectedAt: number): OpenTimeBound;
  trouble(log: () => string): Promise<void>;
}

/** Records into `disk/csv`, lets `trouble` break the disk and mend it, then checks every CSV. */
async function _recordThrough(dir: string, disk: string, exchange: Exchange, symbols: string[], problems: string[], phase: Phase): Promise<PhaseResult> {
  const logPath = join(dir, "run.log");
  const log = () => readFileSync(logPath, "utf8");
  const startedAt = Date.now();
  const recorder = spawnRecorder({ symbols, interval: "1s", wsUrl: exchange.wsUrl, restUrl: exchange.url, out: join(disk, "csv"), state: join(disk, "state.json"), logPath });
  let connectedAt = Date.now();
  let stopAt = Date.now();
  let exitedAt = Date.now();
  let failing = 0;
  let recovered = 0;
  try {
    await waitFor(() => /backfill repaired|\bconnected to /.test(log()), "the recorder to start", 20_000, 100);
    connectedAt = Date.now();
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
    exitedAt = Date.now();
    if (code !== 0) problems.push(`${dir}: the recorder exited ${code} on SIGTERM`);
  }
  // The candles that closed up to 2 s before the stop must be there, none after its exit.
  const last = closedBetween("1s", stopAt - 2000, exitedAt);
  const total = totalVerdicts(symbols.map((s) => checkCsv(join(disk, "csv", `candles_${s}_1s.csv`), exchange, s, "1s", { first: phase.first(s, startedAt, connectedAt), last })));
  problems.push(...total.problems);
  return { failing, recovered, rows: total.rows, lost: total.lost, duplicated: total.duplicated, wrong: total.wrong };
}

/** Rows this far short of a page end when the recorder starts: its catch-up and a few seconds. */
const SLACK_ROWS = 6;

/**
 * A CSV of true 1s candles up to 2 s ago (as a recorder stopped then would leave it),
 * long enough to end SLACK_ROWS rows short of a 4 KiB page boundary. Returns its first open time.
 */
function _historyNearPageEnd(path: string, exchange: Exchange, symbol: string): number {
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
  return last - (rows.length - 1) * 1000;
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: bun scripts/lib/disk-trouble.ts DIR");
  console.log(JSON.stringify(await runDiskTrouble(dir)));
}
