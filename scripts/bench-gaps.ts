#!/usr/bin/env bun
/**
 * Benchmark of `resilience gaps` against the seed's analyzer (Python csv.DictReader +
 * strptime, written out below as the seed has it), on the same 1m files:
 * the seed's 6-column format and our 11-column full format.
 *
 *   npm run bench:gaps                 # 5,000,000 rows, files in a temp dir removed afterwards
 *   npm run bench:gaps -- --rows 1000000 --dir /var/tmp/bench --runs 5
 *   npm run bench:gaps -- --dir-only          # just the directory case (300 files x 20,000 rows)
 *   npm run bench:gaps -- --big               # also a month of the whole market: 1,500 x 43,200 rows (~4 GB)
 *
 * Each case runs `gaps` with `--jobs 1` (in one process) and with one worker process per
 * core (the default: a large file is split into ranges), beside `cat` of the same bytes to
 * /dev/null, the floor. The goals (6 columns under 0.5 s and at least 100x Python, 11
 * columns under 1 s) are checked at the end.
 *
 * Reports wall time (best of --runs, warm page cache), rows/s, peak RSS, and the
 * ratio to Python; peak RSS is also taken at a fifth of the rows to show it is flat.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "..");
const BINARY = join(ROOT, "dist/resilience");

const PYTHON_BASELINE = `# The seed's analyze_gaps (kstlib examples/ops/resilience_tmux/candle_logger.py), unchanged in substance.
import csv, sys
from datetime import datetime, timezone

def analyze_gaps(path, expected_interval_seconds=3600):
    gaps = []
    prev_ts = None
    with open(path, encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            ts = datetime.strptime(row["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            if prev_ts is not None:
                delta = (ts - prev_ts).total_seconds()
                if delta != expected_interval_seconds:
                    missing = int(delta / expected_interval_seconds) - 1
                    gaps.append({"before": prev_ts.isoformat(), "after": ts.isoformat(),
                                 "gap_seconds": str(int(delta)), "missing_candles": str(missing)})
            prev_ts = ts
    return gaps

print(len(analyze_gaps(sys.argv[1], int(sys.argv[2]))))
`;

interface Measure {
  seconds: number;
  maxRssBytes: number;
}

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "5000000" },
    dir: { type: "string" },
    runs: { type: "string", default: "3" },
    "skip-python": { type: "boolean" },
    "dir-only": { type: "boolean" },
    big: { type: "boolean" },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), "bench-gaps-"));
mkdirSync(dir, { recursive: true });

if (!existsSync("/usr/bin/time")) throw new Error("needs GNU time (/usr/bin/time, Debian package 'time') to measure peak RSS");
// Measure the current source, as shipped: the compiled binary.
if (Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" }).exitCode !== 0) throw new Error("npm run build failed");
const baseline = join(dir, "seed_analyze_gaps.py");
writeFileSync(baseline, PYTHON_BASELINE);

const results: string[] = [];
const dirResults: string[] = [];
const goals: string[] = [];
try {
  for (const format of values["dir-only"] ? [] : (["basic", "full"] as const)) {
    const file = join(dir, `candles_BTCUSDT_1m.${format}.csv`);
    const small = join(dir, `candles_BTCUSDT_1m.${format}.small.csv`);
    if (!existsSync(file)) writeCandles(file, format, rows);
    if (!existsSync(small)) writeCandles(small, format, Math.floor(rows / 5));
    readFileSync(file); // warm the page cache
    const cat = best(() => run(["sh", "-c", `cat "${file}" > /dev/null`], 0));
    const sequential = best(() => run([BINARY, "gaps", file, "--interval", "1m", "--json", "--jobs", "1"], 0));
    const ours = best(() => run([BINARY, "gaps", file, "--interval", "1m", "--json"], 0));
    const oursSmall = best(() => run([BINARY, "gaps", small, "--interval", "1m", "--json"], 0));
    const python = values["skip-python"] ? undefined : run(["python3", baseline, file, "60"], 0);
    const sizeMb = Bun.file(file).size / 1e6;
    const name = format === "basic" ? "seed 6-column" : "full 11-column";
    results.push(
      `| ${name} | ${rows.toLocaleString("en")} | ${sizeMb.toFixed(0)} MB | ${cat.seconds.toFixed(2)} s | ${sequential.seconds.toFixed(2)} s | ${ours.seconds.toFixed(2)} s | ${(sequential.seconds / ours.seconds).toFixed(2)}x | ${(rows / ours.seconds / 1e6).toFixed(2)} M | ${mb(ours.maxRssBytes)} (${mb(oursSmall.maxRssBytes)} at ${(rows / 5).toLocaleString("en")} rows) | ${python ? `${python.seconds.toFixed(1)} s, ${mb(python.maxRssBytes)}` : "skipped"} | ${python ? `${(python.seconds / ours.seconds).toFixed(0)}x` : "-"} |`,
    );
    const goal = format === "basic" ? 0.5 : 1;
    goals.push(`${name}: ${ours.seconds.toFixed(2)} s, goal under ${goal} s: ${ours.seconds < goal ? "met" : "NOT met"}${python && format === "basic" ? `; ${(python.seconds / ours.seconds).toFixed(0)}x Python, goal at least 100x: ${python.seconds / ours.seconds >= 100 ? "met" : "NOT met"}` : ""}`);
  }
  const dirCases: [number, number][] = [[300, 20_000], ...(values.big ? [[1_500, 43_200] as [number, number]] : [])];
  for (const [files, perFile] of dirCases) dirResults.push(benchDirectory(files, perFile));
  const bunVersion = Bun.spawnSync([process.execPath, "--version"]).stdout.toString().trim();
  const python = Bun.spawnSync(["python3", "--version"]).stdout.toString().trim();
  console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${mb(totalmem())} RAM; Bun ${bunVersion}; ${python}; ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(`| format | rows | size | cat > /dev/null | gaps --jobs 1 | gaps, ${availableParallelism()} workers | second core | rows/s | peak RSS (largest process) | Python analyze_gaps | vs Python |`);
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const line of results) console.log(line);
  console.log(`\n| directory (seed 6-column, 1m) | rows | size | cat > /dev/null | gaps --jobs 1 | gaps, ${availableParallelism()} workers | speed-up | rows/s | peak RSS (largest process) |`);
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const line of dirResults) console.log(line);
  if (goals.length > 0) console.log(`\n${goals.join("\n")}`);
} finally {
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

/** `files` gap-free 1m files of `perFile` rows in one directory: cat, then gaps one file at a time, then on every core. */
function benchDirectory(files: number, perFile: number): string {
  const market = join(dir, `market-${files}x${perFile}`);
  mkdirSync(market, { recursive: true });
  const paths = Array.from({ length: files }, (_, i) => join(market, `candles_S${String(i).padStart(4, "0")}_1m.csv`));
  for (const path of paths) if (!existsSync(path)) writeCandles(path, "basic", perFile);
  const bytes = paths.reduce((n, p) => n + Bun.file(p).size, 0);
  const cat = best(() => run(["sh", "-c", `cat "${market}"/*.csv > /dev/null`], 0));
  const sequential = best(() => run([BINARY, "gaps", market, "--interval", "1m", "--json", "--jobs", "1"], 0));
  const parallel = best(() => run([BINARY, "gaps", market, "--interval", "1m", "--json"], 0));
  const rows = files * perFile;
  return `| ${files.toLocaleString("en")} files x ${perFile.toLocaleString("en")} rows | ${rows.toLocaleString("en")} | ${(bytes / 1e6).toFixed(0)} MB | ${cat.seconds.toFixed(2)} s | ${sequential.seconds.toFixed(2)} s | ${parallel.seconds.toFixed(2)} s | ${(sequential.seconds / parallel.seconds).toFixed(2)}x | ${(rows / parallel.seconds / 1e6).toFixed(2)} M | ${mb(sequential.maxRssBytes)} (--jobs 1), ${mb(parallel.maxRssBytes)} |`;
}

/** Best wall time of `runs` runs (and the largest peak RSS seen). */
function best(measure: () => Measure): Measure {
  const all = Array.from({ length: runs }, measure);
  return { seconds: Math.min(...all.map((m) => m.seconds)), maxRssBytes: Math.max(...all.map((m) => m.maxRssBytes)) };
}

/**
 * Runs `cmd` under GNU time for its own peak RSS (a child's ru_maxrss as Bun reports
 * it includes the pages of this parent it was forked from, here hundreds of MB).
 */
function run(cmd: string[], expectedCode: number): Measure {
  const rssFile = join(dir, "maxrss.txt");
  const start = performance.now();
  const proc = Bun.spawnSync(["/usr/bin/time", "-f", "%M", "-o", rssFile, ...cmd], { stdout: "pipe", stderr: "pipe" });
  const seconds = (performance.now() - start) / 1000;
  if (proc.exitCode !== expectedCode) throw new Error(`${cmd.join(" ")} exited ${proc.exitCode}: ${proc.stderr.toString()}`);
  return { seconds, maxRssBytes: Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) * 1024 };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

/**
 * A gap-free 1m file: the seed's format as Python's csv writer leaves it (CRLF,
 * `%.2f`), or ours in full (LF, the exchange's 8-decimal strings).
 */
function writeCandles(path: string, format: "basic" | "full", count: number): void {
  const fd = openSync(path, "w");
  const start = Date.UTC(2015, 0, 1);
  const eol = format === "basic" ? "\r\n" : "\n";
  const header = "timestamp,open,high,low,close,volume";
  let chunk = (format === "basic" ? header : `${header},close_time,quote_volume,trades,taker_buy_base,taker_buy_quote`) + eol;
  for (let i = 0; i < count; i++) {
    const t = start + i * 60_000;
    const iso = new Date(t).toISOString();
    const p = 30_000 + (i % 5000);
    if (format === "basic") {
      chunk += `${iso.slice(0, 19)}Z,${p}.12,${p + 55}.50,${p - 45}.25,${p + 10}.75,${(i % 997) + 1}.35${eol}`;
    } else {
      const close = new Date(t + 59_999).toISOString();
      chunk += `${iso.slice(0, 19)}Z,${p}.12000000,${p + 55}.50000000,${p - 45}.25000000,${p + 10}.75000000,${(i % 997) + 1}.35125000,${close},${p * 13}.73950120,${(i % 3000) + 1},${(i % 500) + 1}.17500000,${p * 6}.51220000${eol}`;
    }
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}
