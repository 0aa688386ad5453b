import { candlesBetween, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";

/**
 * The set of valid open times seen in a file, kept as runs ("segments") of
 * consecutive candles on consecutive lines, ascending or (newest-first files)
 * descending. A sorted file with no hole is one segment whatever its length, so
 * memory grows with the anomalies, never with the rows; and the line of any candle
 * seen is still known exactly (a run's first line plus its index), which is how a
 * duplicate finds the line of its first copy, however far back it is.
 */
export interface Segment {
  startTime: number;
  endTime: number;
  /** Lines of the rows at `startTime` and `endTime`. */
  startLine: number;
  endLine: number;
  /** 1: later rows extend `endTime`; -1: they extend `startTime` backwards; 0: one row so far. */
  dir: 1 | -1 | 0;
  /** Open time after `endTime`. */
  next: number;
}

/** What `add` found: a new candle in order, a late one (fills a hole), or a copy. */
export type AddResult = "in-order" | "late" | "duplicate";

export interface HoleFinding {
  prev: number;
  next: number;
  firstMissing: number;
  lastMissing: number;
  missing: number;
  /** Line of the row at `next`. */
  line: number;
}

export interface CandleSet {
  /** Adds an aligned open time read on `line`. After "duplicate", `firstLine` is the line of the first copy. */
  add(time: number, line: number): AddResult;
  readonly firstLine: number;
  /** Distinct candles. */
  count(): number;
  first(): number | null;
  last(): number | null;
  /** Holes between the first and last candle, in time order. */
  holes(): HoleFinding[];
  /** Runs kept: what the memory grows with (1 for a sorted file without holes). */
  runs(): number;
  /** A copy of the runs, in time order. */
  segments(): Segment[];
  /**
   * The open time that would extend the newest run if read on `line`, or NaN when
   * no row there can (no run yet, a descending run, or a line in between).
   */
  runNext(line: number): number;
  /** Records `rows` in-order candles right after `runNext(line)`, on the lines after it (the audit's fast path). */
  extendRun(rows: number): void;
}

/** `initial`: runs already seen (an earlier part of the file, audit-parts.ts), in time order. */
export function createCandleSet(interval: Interval, initial: readonly Segment[] = []): CandleSet {
  const step = _stepper(interval);
  const segments: Segment[] = initial.map((s) => ({ ...s }));
  let tail: Segment | undefined = segments.at(-1); // the segment holding the newest time
  let firstLine = 0;

  function addLate(time: number, line: number): AddResult {
    const i = _findAtOrBefore(segments, time);
    const seg = i >= 0 ? segments[i]! : undefined;
    if (seg && time <= seg.endTime) {
      firstLine =
        seg.dir === -1
          ? seg.endLine + candlesBetween(interval, time, seg.endTime)
          : seg.startLine + candlesBetween(interval, seg.startTime, time);
      return "duplicate";
    }
    const after = segments[i + 1];
    if (seg && seg.dir !== -1 && seg.next === time && seg.endLine === line - 1) {
      seg.endTime = time;
      seg.endLine = line;
      seg.next = step(time);
      seg.dir = 1;
    } else if (after && after.dir !== 1 && step(time) === after.startTime && after.startLine === line - 1) {
      after.startTime = time;
      after.startLine = line;
      after.dir = -1;
    } else {
      segments.splice(i + 1, 0, { startTime: time, endTime: time, startLine: line, endLine: line, dir: 0, next: step(time) });
    }
    return "late";
  }

  return {
    add(time, line) {
      if (tail !== undefined && time === tail.next && line === tail.endLine + 1 && tail.dir !== -1) {
        tail.endTime = time;
        tail.endLine = line;
        tail.next = step(time);
        tail.dir = 1;
        return "in-order";
      }
      if (tail === undefined || time > tail.endTime) {
        tail = { startTime: time, endTime: time, startLine: line, endLine: line, dir: 0, next: step(time) };
        segments.push(tail);
        return "in-order";
      }
      return addLate(time, line);
    },
    get firstLine() {
      return firstLine;
    },
    count() {
      let n = 0;
      for (const s of segments) n += candlesBetween(interval, s.startTime, s.endTime) + 1;
      return n;
    },
    runs: () => segments.length,
    segments: () => segments.map((s) => ({ ...s })),
    runNext(line) {
      return tail !== undefined && tail.dir !== -1 && tail.endLine === line - 1 ? tail.next : Number.NaN;
    },
    extendRun(rows) {
      if (rows <= 0) return;
      for (let k = 1; k < rows; k++) tail!.next = step(tail!.next);
      tail!.endTime = tail!.next;
      tail!.next = step(tail!.next);
      tail!.endLine += rows;
      tail!.dir = 1;
    },
    first: () => segments[0]?.startTime ?? null,
    last: () => tail?.endTime ?? null,
    holes() {
      const holes: HoleFinding[] = [];
      for (let k = 1; k < segments.length; k++) {
        const before = segments[k - 1]!;
        const after = segments[k]!;
        if (after.startTime === before.next) continue;
        holes.push({
          prev: before.endTime,
          next: after.startTime,
          firstMissing: before.next,
          lastMissing: previousOpenTime(interval, after.startTime),
          missing: candlesBetween(interval, before.endTime, after.startTime) - 1,
          line: after.startLine,
        });
      }
      return holes;
    },
  };
}

// --- internal ---

function _stepper(interval: Interval): (time: number) => number {
  if (interval === "1M") return (time) => nextOpenTime(interval, time);
  const ms = nextOpenTime(interval, 0);
  return (time) => time + ms;
}

/** Index of the last segment starting at or before `time`, or -1. */
function _findAtOrBefore(segments: Segment[], time: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid]!.startTime <= time) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
