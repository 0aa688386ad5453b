/**
 * `npm run bench`: every benchmark in turn, each printing its Markdown table, under one
 * line naming the machine, date and versions. About 50 minutes in full (the footprint's
 * two 5-minute idle windows and the market's minute bursts are most of it); `--quick` takes about 11.
 * `db` needs a PostgreSQL (`--only` the others without one).
 *
 *   npm run bench [-- --quick] [-- --only ingest,recovery]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describeMachine } from "./lib/machine.ts";
import { ensureBinary } from "./lib/recorder.ts";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, only: { type: "string" } } });
const quick = values.quick;

/** Each benchmark: its script and its arguments, full and quick. */
const BENCHES: { name: string; title: string; script: string; full: string[]; quick: string[] }[] = [
  { name: "ingest", title: "1. Ingest", script: "bench-ingest.ts", full: [], quick: ["--messages", "200000", "--runs", "1"] },
  { name: "durable", title: "2. Durable write", script: "bench-durable-write.ts", full: [], quick: ["--closes", "2000"] },
  { name: "footprint", title: "3. Footprint", script: "bench-footprint.ts", full: [], quick: ["--minutes", "0.5", "--reconnects", "200"] },
  { name: "heap", title: "3b. JS heap across reconnects", script: "bench-heap-churn.ts", full: [], quick: ["--reconnects", "1000"] },
  { name: "recovery", title: "4. Recovery", script: "bench-recovery.ts", full: [], quick: ["--trials", "5"] },
  { name: "gaps", title: "5. gaps", script: "bench-gaps.ts", full: [], quick: ["--rows", "500000", "--runs", "1"] },
  { name: "binary", title: "6. Binary", script: "bench-binary.ts", full: [], quick: ["--runs", "20", "--cold-runs", "3"] },
  { name: "market", title: "7. The whole market", script: "bench-market.ts", full: [], quick: ["--quick"] },
  { name: "db", title: "8. Database replication", script: "bench-db.ts", full: [], quick: ["--rows", "200000", "--bursts", "5", "--batch-sizes", "2000", "--floor-runs", "1"] },
];
const only = values.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((name) => !BENCHES.some((b) => b.name === name));
if (unknown?.length) throw new Error(`--only: unknown benchmark ${unknown.join(", ")}; choose from ${BENCHES.map((b) => b.name).join(", ")}`);

ensureBinary();
console.log(`Machine: ${describeMachine()}${quick ? " (--quick: shortened runs)" : ""}`);
let failed = 0;
for (const bench of BENCHES) {
  if (only && !only.includes(bench.name)) continue;
  console.log(`\n## ${bench.title}\n`);
  const t0 = performance.now();
  const run = Bun.spawn([process.execPath, join(import.meta.dir, bench.script), ...(quick ? bench.quick : bench.full)], { stdout: "inherit", stderr: "inherit" });
  const code = await run.exited;
  console.log(`\n(${bench.script}: ${((performance.now() - t0) / 1000).toFixed(0)} s${code === 0 ? "" : `, FAILED with exit ${code}`})`);
  if (code !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
