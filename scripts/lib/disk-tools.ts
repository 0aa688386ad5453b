import { closeSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Filesystem tools of the disk-trouble scenario: filling a filesystem, probing what this machine allows. */

/** Writes `path` until the filesystem has no byte left. */
export function fillFilesystem(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [65_536, 4096, 1]) {
      const chunk = Buffer.alloc(size, 120);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Undefined when `chattr +i` makes appends to an open file fail here; else why not. */
export function immutableBlocksAppends(dir: string): string | undefined {
  if (!Bun.which("chattr")) return "chattr is not installed";
  const probe = join(dir, "probe");
  const fd = openSync(probe, "a");
  try {
    if (Bun.spawnSync(["chattr", "+i", probe]).exitCode !== 0) return `chattr +i is refused on ${dir}'s filesystem`;
    try {
      writeSync(fd, "x");
      return `appends to an immutable file still succeed on ${dir}'s filesystem`;
    } catch {
      return undefined;
    }
  } finally {
    Bun.spawnSync(["chattr", "-i", probe]);
    closeSync(fd);
    rmSync(probe, { force: true });
  }
}

export function canMountTmpfs(dir: string): boolean {
  const probe = join(dir, "mount-probe");
  mkdirSync(probe, { recursive: true });
  const ok = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stderr: "pipe" }).exitCode === 0;
  if (ok) Bun.spawnSync(["umount", probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
}

export function runChecked(argv: string[]): void {
  const run = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${run.stderr.toString().trim()}`);
}
