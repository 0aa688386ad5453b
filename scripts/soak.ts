/**
 * `npm run soak`: the reliability suite at full size, one line of figures per part ("ok",
 * "FAIL", or "SKIP" with the reason a part could not run here) and a last line "N passed,
 * N failed, N skipped" (exit 1 if any failed, or under CI=true if any was skipped).
 * tests/reliability/ runs short, seeded slices of the same parts in `npm test`.
 *
 *   npm run soak [-- --minutes 30] [--kills 100] [--fuzz 100000] [--seed 1] [--only audit,fuzz,security,disk,crash,soak] [--keep DIR]
 *
 * audit     npm audit --omit=dev of the shipped dependencies (skipped when the registry cannot be asked)
 * fuzz      random and mutated stream messages, REST bodies, CSV files and config files
 * security  no webhook in any output, locks respected, tmux names validated
 * disk      the CSV filesystem full, then the CSVs read-only, for a while each
 * crash     SIGKILL at random moments, --kills times in a row
 * soak      1s candles, a proactive restart every 2 s, a random fault of every kind every few seconds
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatCrashLoop, runCrashLoop } from "./lib/crash-loop.ts";
import { runDiskTroubleAnywhere, type DiskTroubleResult } from "./lib/disk-trouble.ts";
import { formatFuzz, runFuzz } from "./lib/fuzz.ts";
import { describeMachine } from "./lib/machine.ts";
import { runNpmAudit } from "./lib/npm-audit.ts";
import { ensureBinary } from "./lib/recorder.ts";
import { runSecurityChecks } from "./lib/security-checks.ts";
import { formatPart, formatSoak, runSoak, tallyParts, underCi, type PartOutcome } from "./lib/soak-run.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    kills: { type: "string", default: "100" },
    fuzz: { type: "string", default: "100000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    only: { type: "string" },
    keep: { type: "string" },
  },
});
const PARTS = ["audit", "fuzz", "security", "disk", "crash", "soak"] as const;
const only = values.only?.split(",").map((s) => s.trim());
const unknown = only?.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown?.length) throw new Error(`--only: unknown part ${unknown.join(", ")}; choose from ${PARTS.join(", ")}`);
const seed = Number(values.seed);
const root = join(import.meta.dir, "..");
const dir = values.keep ?? mkdtempSync(join(tmpdir(), "resilience-soak-"));
mkdirSync(dir, { recursive: true });
ensureBinary();

console.log(`Machine: ${describeMachine()}; seed ${seed} (replay with --seed ${seed})`);
const outcomes: PartOutcome[] = [];
const record = (outcome: PartOutcome) => {
  outcomes.push(outcome);
  for (const line of formatPart(outcome)) console.log(line);
};
const report = (ok: boolean, line: string, problems: string[] = []) => record({ status: ok ? "ok" : "failed", line, details: ok ? [] : problems });
const skip = (line: string, why: string) => record({ status: "skipped", line, details: [why] });
const want = (part: (typeof PARTS)[number]) => !only || only.includes(part);

if (want("audit")) {
  const audit = runNpmAudit(root);
  if (audit.status === "skipped") skip("npm audit --omit=dev", audit.summary);
  else report(audit.status === "clean", `npm audit --omit=dev: ${audit.status}: ${audit.summary}`);
}
if (want("fuzz")) {
  const fuzz = await runFuzz({ iterations: Number(values.fuzz), seed });
  report(fuzz.findings.length === 0, formatFuzz(fuzz), _distinct(fuzz.findings.map((f) => `${f.target} ${f.kind}${f.cause ? ` (${f.cause})` : ""}: ${f.detail.slice(0, 160)} <- ${JSON.stringify(f.input.slice(0, 120))}`)));
}
if (want("security")) {
  for (const check of await runSecurityChecks(join(dir, "security"))) {
    // A check that could not run comes back ok with a "skipped: why" detail.
    if (check.ok && check.detail.startsWith("skipped")) skip(`security: ${check.name}`, check.detail.replace(/^skipped:\s*/, ""));
    else report(check.ok, `security: ${check.name}${check.ok ? "" : `: ${check.detail}`}`);
  }
}
if (want("disk")) {
  for (const outcome of _diskOutcomes(await runDiskTroubleAnywhere(join(dir, "disk")))) record(outcome);
}
if (want("crash")) {
  const crash = await runCrashLoop({ kills: Number(values.kills), dir: join(dir, "crash"), seed, sinceMinutes: 24 * 60, log: (l) => console.log(`     ${l}`) });
  report(crash.problems.length === 0 && crash.lost + crash.duplicated + crash.wrong === 0, formatCrashLoop(crash), crash.problems);
}
if (want("soak")) {
  const soak = await runSoak({ durationMs: Number(values.minutes) * 60_000, dir: join(dir, "soak"), seed, log: (l) => console.log(`     ${l}`) });
  report(soak.problems.length === 0 && soak.lost + soak.duplicated + soak.wrong === 0, formatSoak(soak), soak.problems);
}

const tally = tallyParts(outcomes, underCi());
console.log(`${tally.line}${values.keep ? `; files kept in ${dir}` : ""}`);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
process.exitCode = tally.ok ? 0 : 1;

function _diskOutcomes(disk: DiskTroubleResult): PartOutcome[] {
  const outcomes = ([["full", disk.full], ["read-only", disk.readOnly]] as const).map(([phase, r]): PartOutcome => {
    if ("skipped" in r) return { status: "skipped", line: `disk ${phase}`, details: [r.skipped] };
    const ok = r.failing > 0 && r.recovered === r.failing && r.lost + r.duplicated + r.wrong === 0;
    return { status: ok ? "ok" : "failed", line: `disk ${phase}: ${r.failing} CSVs failing, ${r.recovered} recovered; ${r.rows} rows, ${r.lost} lost, ${r.duplicated} duplicated, ${r.wrong} wrong`, details: [] };
  });
  return disk.problems.length ? [...outcomes, { status: "failed", line: "disk: problems", details: disk.problems }] : outcomes;
}

function _distinct(lines: string[]): string[] {
  return [...new Set(lines.map((l) => l.replace(/x{20,}|9{20,}/g, "…")))];
}
