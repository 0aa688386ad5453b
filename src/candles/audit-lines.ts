/**
 * The audit's own line splitter: bytes in, lines out, without decoding text or
 * holding more than one line across chunk boundaries. Independent of the
 * recorder's CSV code on purpose (STYLE.md, "Two sides of one protocol").
 */

/** Longer lines cannot be candles; they are reported, not buffered. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface LineSink {
  /**
   * One line (without its `\n`; a `\r` before it is left in place) as
   * `buf[start, end)`. `terminated` is false only for a last line with no newline.
   * `buf` is reused afterwards: copy what you keep.
   */
  line(buf: Uint8Array, start: number, end: number, lineNo: number, terminated: boolean): void;
  /** A line longer than MAX_LINE_BYTES (e.g. a run of NUL bytes after a crash). */
  tooLong(lineNo: number, terminated: boolean): void;
  /**
   * Optional fast path, offered each line start in a chunk: it may take whole lines
   * from `buf[pos, end)` itself (the one after `lineNo` first). Returns how many it
   * took, and leaves the position after them in `after.pos`.
   */
  fast?(buf: Uint8Array, pos: number, end: number, lineNo: number, after: { pos: number }): number;
}

export interface LineScanner {
  push(chunk: Uint8Array): void;
  end(): void;
  /** Lines seen so far. */
  readonly lines: number;
}

const NEWLINE = 10;

/** Splits a stream of chunks into 1-based numbered lines for `sink`, the first numbered `startLine + 1`. */
export function createLineScanner(sink: LineSink, startLine = 0): LineScanner {
  let carry = new Uint8Array(4096);
  let carryLen = 0;
  let carrying = false;
  let overflow = false;
  let lineNo = startLine;
  const fast = sink.fast?.bind(sink);
  const after = { pos: 0 };

  function keep(chunk: Uint8Array, from: number, to: number): void {
    carrying = true;
    if (overflow) return;
    const need = carryLen + (to - from);
    if (need > MAX_LINE_BYTES) {
      overflow = true;
      return;
    }
    if (need > carry.length) {
      const bigger = new Uint8Array(Math.min(MAX_LINE_BYTES, Math.max(need, carry.length * 2)));
      bigger.set(carry.subarray(0, carryLen));
      carry = bigger;
    }
    carry.set(chunk.subarray(from, to), carryLen);
    carryLen = need;
  }

  function flushCarry(terminated: boolean): void {
    lineNo++;
    if (overflow) sink.tooLong(lineNo, terminated);
    else sink.line(carry, 0, carryLen, lineNo, terminated);
    carryLen = 0;
    carrying = false;
    overflow = false;
  }

  return {
    push(chunk) {
      let pos = 0;
      if (carrying) {
        const nl = chunk.indexOf(NEWLINE);
        if (nl < 0) return keep(chunk, 0, chunk.length);
        keep(chunk, 0, nl);
        flushCarry(true);
        pos = nl + 1;
      }
      for (;;) {
        if (fast !== undefined) {
          const took = fast(chunk, pos, chunk.length, lineNo, after);
          if (took > 0) {
            lineNo += took;
            pos = after.pos;
          }
        }
        const nl = chunk.indexOf(NEWLINE, pos);
        if (nl < 0) break;
        if (nl - pos > MAX_LINE_BYTES) sink.tooLong(++lineNo, true);
        else sink.line(chunk, pos, nl, ++lineNo, true);
        pos = nl + 1;
      }
      if (pos < chunk.length) keep(chunk, pos, chunk.length);
    },
    end() {
      if (carrying) flushCarry(false);
    },
    get lines() {
      return lineNo;
    },
  };
}
