import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
/** The compiled binary the tests drive, as a user would. */
export const BINARY = join(ROOT, "dist/resilience");

/**
 * Builds dist/resilience when it is missing or older than any source file. Test files
 * run in parallel processes, so the build holds a lock file: only one builds, the others
 * wait for it.
 */
export function ensureBinary(): string {
  const lock = join(ROOT, "dist/.build.lock");
  for (let waited = 0; ; waited += 100) {
    if (isFresh()) return BINARY;
    try {
      Bun.spawnSync(["mkdir", "-p", join(ROOT, "dist")]);
      closeSync(openSync(lock, "wx"));
    } catch {
      if (waited > 120_000) throw new Error(`${lock} held for 2 minutes; remove it if no build is running`);
      Bun.sleepSync(100);
      continue;
    }
    try {
      if (isFresh()) return BINARY;
      const build = Bun.spawnSync([join(ROOT, "node_modules/.bin/bun"), "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
      return BINARY;
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** Runs the binary to completion. */
export async function runBinary(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}) {
  const proc = Bun.spawn([BINARY, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env } as Record<string, string>,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

// --- internal ---

function isFresh(): boolean {
  if (!existsSync(BINARY)) return false;
  const built = statSync(BINARY).mtimeMs;
  return [join(ROOT, "package.json"), ..._files(join(ROOT, "src"))].every((f) => statSync(f).mtimeMs <= built);
}

function _files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? _files(join(dir, e.name)) : [join(dir, e.name)]));
}
