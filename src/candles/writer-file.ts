import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { UserError, errorMessage } from "../errors.ts";
import { rowOpenTime } from "./csv.ts";

/** The file calls the candle writer makes; a test swaps some for ones that fail on demand. */
export interface WriterFs {
  openSync(path: string, flags: string | number): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  writeSync(fd: number, buffer: Uint8Array): number;
  fdatasyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  fstatSync(fd: number): { size: number };
}

export const NODE_FS: WriterFs = { openSync, closeSync, readSync, writeSync, fdatasyncSync, ftruncateSync, fstatSync };

/** Read/write and appending, but never creating: re-opening a deleted CSV must not make an empty one. */
export const REOPEN_FLAGS = constants.O_RDWR | constants.O_APPEND;

/** Bytes read from the end of the file to find its last rows (a row is 50 to 200 bytes). */
const TAIL_BYTES = 64 * 1024;
const NL = 0x0a;

/** A formatted row, with its line ending, and its open time. */
export interface HeldRow {
  line: string;
  openTime: number;
}

/** The newest whole line on disk (a row, or the header when there is no row yet). */
export interface CsvTail {
  /** Bytes up to and including that line: the rows counted as written. */
  size: number;
  /** Byte offset where the line starts; 0 when it is the header. */
  lineStart: number;
  /** The line as on disk, with its line ending. */
  line: string;
  /** Open time of the newest row; undefined when only the header is there. */
  openTime: number | undefined;
  /** Open time of the row before the newest one, if there is one. */
  prevOpenTime: number | undefined;
}

/**
 * Why the file cannot take another row. "unrestored": bytes after the last counted row could not
 * be cut (or the file not read), which may clear by itself; "lost": counted rows are no longer in
 * the file (it was cut, changed or deleted), which needs a person.
 */
export interface FileProblem {
  kind: "unrestored" | "lost";
  message: string;
}

/** Opens the CSV: writes the header into a new file; checks it and cuts a torn last line otherwise. */
export function openCsv(fs: WriterFs, path: string, header: string) {
  const fd = fs.openSync(path, "a+");
  try {
    let size = fs.fstatSync(fd).size;
    if (size === 0) size = _writeHeader(fs, fd, header);
    else _checkHeader(fs, fd, path, header);
    const torn = _cutTornLine(fs, fd, path, size);
    const { tail, rows } = readTail(fs, fd, torn.size, path);
    return { fd, tail, rows, tornBytes: torn.bytes, tornText: torn.text };
  } catch (err) {
    fs.closeSync(fd);
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot open ${path} for appending: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

/**
 * The newest line of the first `size` bytes (which must end with a newline), and up to two
 * newest rows as text without their line endings. Blank lines count as part of the row before.
 */
export function readTail(fs: WriterFs, fd: number, size: number, path: string): { tail: CsvTail; rows: string[] } {
  const start = Math.max(0, size - TAIL_BYTES);
  const buf = _readAt(fs, fd, start, size - start);
  if (buf.length !== size - start || buf[buf.length - 1] !== NL) throw new Error(`${path}: cannot read its last line back`);
  const lines = _lastLines(buf, start, 2);
  const newest = lines[lines.length - 1];
  if (!newest) throw new UserError(`the last line of ${path} is longer than 64 KiB; check it with 'resilience gaps ${path}'`);
  const openTime = newest.start === 0 ? undefined : rowOpenTime(newest.text);
  if (newest.start > 0 && openTime === undefined) {
    throw new UserError(`the last row of ${path} is not a candle row ("${newest.text.trimEnd().slice(0, 60)}"); check it with 'resilience gaps ${path}'`);
  }
  const prev = lines.length === 2 && lines[0]!.start > 0 ? lines[0] : undefined;
  return {
    tail: { size, lineStart: newest.start, line: newest.text, openTime, prevOpenTime: prev && rowOpenTime(prev.text) },
    rows: lines.filter((l) => l.start > 0).map((l) => l.text.replace(/[\r\n]+$/, "")),
  };
}

/**
 * Brings the file back to exactly `size` bytes by cutting what follows, and checks with fstat
 * that it worked. Never cuts a file that is shorter (that would pad it with zeros).
 */
export function restoreSize(fs: WriterFs, fd: number, size: number): FileProblem | undefined {
  const actual = _sizeOf(fs, fd);
  if (typeof actual !== "number") return actual;
  if (actual === size) return undefined;
  if (actual < size) return { kind: "lost", message: `the file is ${actual} bytes, shorter than the ${size} bytes of rows already written: someone cut it` };
  try {
    fs.ftruncateSync(fd, size);
  } catch (err) {
    return { kind: "unrestored", message: `cannot cut the file back from ${actual} to ${size} bytes: ${errorMessage(err)}` };
  }
  try {
    fs.fdatasyncSync(fd);
  } catch {
    // The size check below is what matters; the next row's fdatasync persists the size too.
  }
  const after = _sizeOf(fs, fd);
  if (typeof after !== "number") return after;
  return after === size ? undefined : { kind: "unrestored", message: `cut the file back to ${size} bytes, yet it is ${after}` };
}

/**
 * Before appending again after damage: the file must still hold `tail.line` just before
 * `tail.size` (preceded by a newline), and whatever follows it is cut.
 */
export function checkTail(fs: WriterFs, fd: number, tail: CsvTail): FileProblem | undefined {
  const actual = _sizeOf(fs, fd);
  if (typeof actual !== "number") return actual;
  if (actual < tail.size) return restoreSize(fs, fd, tail.size);
  const from = Math.max(0, tail.lineStart - 1);
  const expected = Buffer.from(tail.lineStart > 0 ? `\n${tail.line}` : tail.line);
  let found: Buffer;
  try {
    found = _readAt(fs, fd, from, tail.size - from);
  } catch (err) {
    return { kind: "unrestored", message: `cannot read the file back: ${errorMessage(err)}` };
  }
  if (!found.equals(expected)) {
    const text = found.toString("utf8").trim().slice(0, 80);
    return { kind: "lost", message: `the last row written is no longer at byte ${tail.lineStart} (found "${text}"): someone changed the file` };
  }
  return restoreSize(fs, fd, tail.size);
}

// --- internal ---

function _sizeOf(fs: WriterFs, fd: number): number | FileProblem {
  try {
    return fs.fstatSync(fd).size;
  } catch (err) {
    return { kind: "unrestored", message: `cannot read the file size: ${errorMessage(err)}` };
  }
}

function _writeHeader(fs: WriterFs, fd: number, header: string): number {
  const text = Buffer.from(`${header}\n`);
  fs.writeSync(fd, text);
  fs.fdatasyncSync(fd);
  return text.length;
}

function _checkHeader(fs: WriterFs, fd: number, path: string, header: string): void {
  const head = _readAt(fs, fd, 0, 4096).toString("utf8");
  const firstLine = head.split("\n")[0]!.replace(/\r$/, "");
  if (firstLine === header) return;
  throw new UserError(
    `${path} does not start with the header "${header}" (found "${firstLine.slice(0, 80)}"); ` +
      `record into another --out directory, or set csv.columns to match the file`,
  );
}

/** A crash (power loss, a full disk) can leave half a line at the end: cut it, or complete a bare header. */
function _cutTornLine(fs: WriterFs, fd: number, path: string, size: number) {
  const start = Math.max(0, size - TAIL_BYTES);
  const buf = _readAt(fs, fd, start, size - start);
  if (buf[buf.length - 1] === NL) return { size, bytes: 0, text: "" };
  const cut = buf.lastIndexOf(NL);
  if (cut < 0 && start === 0) {
    // Only a header without its newline: complete it.
    fs.writeSync(fd, Buffer.from("\n"));
    fs.fdatasyncSync(fd);
    return { size: size + 1, bytes: 0, text: "" };
  }
  if (cut < 0) throw new UserError(`${path} ends with a line longer than 64 KiB; check it with 'resilience gaps ${path}'`);
  const end = start + cut + 1;
  fs.ftruncateSync(fd, end);
  fs.fdatasyncSync(fd);
  return { size: end, bytes: size - end, text: buf.toString("utf8", cut + 1) };
}

/** Whole lines at the end of `buf` (which starts at byte `bufStart` of the file), newest last. */
function _lastLines(buf: Buffer, bufStart: number, max: number): { start: number; text: string }[] {
  const lines: { start: number; text: string }[] = [];
  let end = buf.length;
  let from = end;
  while (lines.length < max && from > 0) {
    const nl = from >= 2 ? buf.lastIndexOf(NL, from - 2) : -1;
    if (nl < 0 && bufStart > 0) break; // the line starts before what was read
    from = nl + 1;
    const text = buf.toString("utf8", from, end);
    if (bufStart + from > 0 && text.trim() === "") continue;
    lines.unshift({ start: bufStart + from, text });
    end = from;
  }
  return lines;
}

function _readAt(fs: WriterFs, fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}
