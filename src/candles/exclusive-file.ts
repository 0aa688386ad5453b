import { closeSync, fdatasyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomUUID } from "node:crypto";

/**
 * Small files that several processes race for (a lock and its takeover guard): created
 * only if absent, never seen half written, removed only if unchanged. None of these
 * writes over an existing file.
 */

/** Writes `content` to a new, unique, synced file beside `path`; returns its name. The caller removes it. */
export function writeTempBeside(path: string, content: string): string {
  const temp = `${path}.${process.pid}.${_unique()}.tmp`;
  _writeNew(temp, content);
  return temp;
}

/**
 * Creates `path` as a hard link to `temp` (which holds `content`); false if `path` exists.
 * link(2) fails on an existing name like O_EXCL does, and the file appears with its content.
 */
export function createIfAbsent(temp: string, path: string, content: string): boolean {
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
  }
  // No hard links here (vfat, some FUSE mounts): plain O_EXCL, at the cost of a moment in
  // which the file exists but is still empty (readers must wait for such a file, not judge it torn).
  try {
    _writeNew(path, content);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Removes `path` if it still reads `expected`: moved aside first (rename is atomic, so
 * one process gets it), then checked; a file that was replaced meanwhile is put back.
 */
export function removeIfUnchanged(path: string, expected: string): boolean {
  const aside = `${path}.${process.pid}.${_unique()}.stale`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  if (readFileSync(aside, "utf8") === expected) {
    rmSync(aside, { force: true });
    return true;
  }
  renameSync(aside, path);
  return false;
}

/** Removes `path` if it reads `content` (ours); leaves anything else, or nothing, alone. */
export function removeIfContent(path: string, content: string): void {
  try {
    if (readFileSync(path, "utf8") === content) rmSync(path, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** The text of `path`, or undefined if there is no such file. */
export function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

// --- internal ---

function _unique(): string {
  return randomUUID().slice(0, 8);
}

/** O_CREAT|O_EXCL, one write, fdatasync: throws EEXIST if `path` exists. */
function _writeNew(path: string, content: string): void {
  const fd = openSync(path, "wx", 0o644);
  try {
    writeSync(fd, content);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
