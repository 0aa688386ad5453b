/**
 * Benchmark 6, the binary: size of dist/resilience and the start-up time of
 * `resilience --version`, warm (page cache hot; hyperfine when installed, else a loop
 * of spawns) and cold (page cache dropped before each run, when /proc/sys/vm/drop_caches
 * is writable: root on a real or virtual machine). Baseline: a hello-world compiled with
 * the same flags, i.e. the Bun runtime alone.
 *
 *   bun scripts/bench-binary.ts [--runs 50] [--cold-runs 5] [--json]
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBinary } from "./lib/recorder.ts";
import { formatMs, formatRatio, markdownTable, median } from "./lib/stats.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "50" }, "cold-runs": { type: "string", default: "5" }, json: { type: "boolean", default: false } } });
const RUNS = Number(values.runs);
const COLD_RUNS = Number(values["cold-runs"]);
const bun = join(import.meta.dir, "../node_modules/.bin/bun");

const binary = ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "bench-binary-"));
try {
  const hello = _compileHello(dir);
  const targets = { resilience: [binary, "--version"], hello: [hello] };
  const warmTool = Bun.which("hyperfine") ? "hyperfine" : "spawn loop";
  const warm = { resilience: _warm(targets.resilience), hello: _warm(targets.hello) };
  const canDrop = _dropCaches();
  const cold = canDrop ? { resilience: _cold(targets.resilience), hello: _cold(targets.hello) } : undefined;
  const size = { resilience: statSync(binary).size, hello: statSync(hello).size };
  const version = Bun.spawnSync([binary, "--version"]).stdout.toString().trim();
  if (values.json) console.log(JSON.stringify({ version, size, warm, cold, warmTool }));
  else {
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
    console.log(`resilience ${version}; warm: ${warmTool}, ${RUNS} runs (median); cold: ${cold ? `${COLD_RUNS} runs, page cache dropped before each (median)` : "skipped: /proc/sys/vm/drop_caches is not writable here"}`);
    console.log(
      markdownTable(
        [
          ["", "dist/resilience", "hello world, same flags (runtime alone)", "ratio"],
          ["size", mb(size.resilience), mb(size.hello), formatRatio(size.resilience / size.hello)],
          ["`--version`, warm", formatMs(warm.resilience), formatMs(warm.hello), formatRatio(warm.resilience / warm.hello)],
          ...(cold ? [["`--version`, cold", formatMs(cold.resilience), formatMs(cold.hello), formatRatio(cold.resilience / cold.hello)]] : []),
        ],
        ["l", "r", "r", "r"],
      ),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// --- internal ---

function _compileHello(out: string): string {
  writeFileSync(join(out, "hello.ts"), 'console.log("0.0.0");\n');
  const path = join(out, "hello");
  const build = Bun.spawnSync([bun, "build", join(out, "hello.ts"), "--compile", "--minify", "--sourcemap", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", "--outfile", path], { stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`cannot compile hello world: ${build.stderr.toString()}`);
  return path;
}

/** Median wall time of `argv`, page cache warm, ms. */
function _warm(argv: string[]): number {
  if (Bun.which("hyperfine")) {
    const json = join(dir, "hyperfine.json");
    const run = Bun.spawnSync(["hyperfine", "--warmup", "3", "--runs", String(RUNS), "--shell", "none", "--export-json", json, argv.join(" ")], { stdout: "pipe", stderr: "pipe" });
    if (run.exitCode !== 0) throw new Error(`hyperfine failed: ${run.stderr.toString()}`);
    return JSON.parse(readFileSync(json, "utf8")).results[0].median * 1000;
  }
  for (let i = 0; i < 3; i++) Bun.spawnSync(argv);
  return median(Array.from({ length: RUNS }, () => _time(argv)));
}

/** Median wall time of `argv` with the page cache dropped before each run, ms. */
function _cold(argv: string[]): number {
  return median(
    Array.from({ length: COLD_RUNS }, () => {
      _dropCaches();
      return _time(argv);
    }),
  );
}

function _time(argv: string[]): number {
  const t0 = performance.now();
  const run = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" });
  if (run.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${run.exitCode}`);
  return performance.now() - t0;
}

function _dropCaches(): boolean {
  try {
    Bun.spawnSync(["sync"]);
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}
