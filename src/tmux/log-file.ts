import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { sleep, systemClock, type Clock } from "../clock.ts";

const CHUNK_BYTES = 64 * 1024;

/**
 * The last `lines` lines of a file and the byte offset of its end, reading backwards
 * from the end (a log of months is large). A final line without `\n` counts as a line.
 */
export function readLastLines(path: string, lines: number): { text: Buffer; end: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (lines <= 0 || size === 0) return { text: Buffer.alloc(0), end: size };
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    let start = 0;
    // A trailing newline ends the last line; it does not start another.
    const skip = _byteAt(fd, size - 1) === 0x0a ? 1 : 0;
    search: while (pos > 0) {
      const length = Math.min(CHUNK_BYTES, pos);
      pos -= length;
      const chunk = Buffer.alloc(length);
      readSync(fd, chunk, 0, length, pos);
      chunks.unshift(chunk);
      for (let i = length - 1; i >= 0; i--) {
        if (pos + i >= size - skip) continue;
        if (chunk[i] === 0x0a && ++newlines === lines) {
          start = pos + i + 1;
          break search;
        }
      }
    }
    const all = Buffer.concat(chunks);
    return { text: all.subarray(start - pos), end: size };
  } finally {
    closeSync(fd);
  }
}

export interface FollowOptions {
  /** Byte offset to continue from (the `end` of readLastLines). */
  from: number;
  onData: (chunk: Buffer) => void;
  signal: AbortSignal;
  /** @default systemClock */
  clock?: Clock;
  /** @default 250 */
  pollMs?: number;
}

/**
 * Writes what is appended to `path` until `signal` aborts (like `tail -f`). A file that
 * shrinks was truncated or replaced: it is read again from its start.
 */
export async function followFile(path: string, options: FollowOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  let offset = options.from;
  while (!options.signal.aborted) {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      size = 0; // removed: wait for it to come back
    }
    if (size < offset) offset = 0;
    if (size > offset) offset += _copy(path, offset, size, options.onData);
    await sleep(clock, options.pollMs ?? 250, options.signal);
  }
}

// --- internal ---

function _byteAt(fd: number, pos: number): number | undefined {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, pos) === 1 ? one[0] : undefined;
}

function _copy(path: string, from: number, to: number, onData: (chunk: Buffer) => void): number {
  const fd = openSync(path, "r");
  try {
    let pos = from;
    while (pos < to) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, to - pos));
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n <= 0) break;
      onData(chunk.subarray(0, n));
      pos += n;
    }
    return pos - from;
  } finally {
    closeSync(fd);
  }
}
