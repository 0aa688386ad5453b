/** `npm audit --omit=dev` of the shipped dependencies: clean, vulnerable, or skipped (no registry). */
export function runNpmAudit(root: string): { status: "clean" | "vulnerable" | "skipped"; summary: string } {
  const npm = Bun.which("npm");
  if (!npm) return { status: "skipped", summary: "npm is not installed" };
  const run = Bun.spawnSync([npm, "audit", "--omit=dev", "--json"], { cwd: root, stdout: "pipe", stderr: "pipe", timeout: 120_000 });
  let report: { metadata?: { vulnerabilities?: Record<string, number> }; message?: string; error?: { summary?: string } };
  try {
    report = JSON.parse(run.stdout.toString());
  } catch {
    return { status: "skipped", summary: `npm audit gave no report (exit ${run.exitCode}): ${run.stderr.toString().trim().split("\n").pop() ?? ""}` };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) return { status: "skipped", summary: `the registry's audit endpoint cannot be reached from here: ${report.message ?? report.error?.summary ?? `exit ${run.exitCode}`}` };
  const found = Object.entries(counts).filter(([level, n]) => level !== "total" && n > 0);
  return found.length === 0
    ? { status: "clean", summary: "no known vulnerability in the shipped dependencies" }
    : { status: "vulnerable", summary: found.map(([level, n]) => `${n} ${level}`).join(", ") };
}
