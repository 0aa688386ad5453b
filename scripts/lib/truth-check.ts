import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { candleOpenAt, nextOpenTime, previousOpenTime, type Interval } from "../../src/time/intervals.ts";

/** Anything that knows the exchange's final candles (the simulator's `Exchange`). */
export interface TruthSource {
  truth(symbol: string, interval: Interval, openTime: number): { open: string; high: string; low: string; close: string; volume: string } | undefined;
}

/** An open time known exactly, or only within bounds (both included) when the caller's clock cannot tell it to the candle. */
export type OpenTimeBound = number | { atLeast: number; atMost: number };

/** Where a recorded CSV must start and end: a recorder that started late or stopped early fails. */
export interface CsvExpectations {
  /** Open time of the first row. */
  first: OpenTimeBound;
  /** Open time of the last row. */
  last: OpenTimeBound;
}

/**
 * The older form (crash-loop.ts): every candle opening in [from, until) must be there;
 * the file may start before and end after. Equivalent to first at most `from`, last at
 * least the candle before `until`. Prefer `CsvExpectations`, which bounds both sides.
 */
export interface ExpectedRange {
  from: number;
  until: number;
}

export interface CsvVerdict {
  path: string;
  rows: number;
  /** Candles the exchange has, within the expected bounds, that the file lacks. */
  lost: number;
  /** Rows whose open time is not after the row before. */
  duplicated: number;
  /** Rows that are not a candle of the exchange, or whose values differ from it. */
  wrong: number;
  /** Open times of the rows, in file order. */
  times: number[];
  first: number | undefined;
  last: number | undefined;
  /** Everything above, described (a few of each kind), and a missing file, header or final newline. Empty when clean. */
  problems: string[];
}

/** The first row of a fresh CSV whose recorder subscribed between `fromMs` and `toMs`: the candle open at each end. */
export function openedBetween(interval: Interval, fromMs: number, toMs: number): OpenTimeBound {
  return { atLeast: candleOpenAt(interval, fromMs), atMost: candleOpenAt(interval, toMs) };
}

/** The last row of a CSV whose recorder stopped between `fromMs` and `toMs`: the last candle closed by each end. */
export function closedBetween(interval: Interval, fromMs: number, toMs: number): OpenTimeBound {
  return { atLeast: previousOpenTime(interval, candleOpenAt(interval, fromMs)), atMost: previousOpenTime(interval, candleOpenAt(interval, toMs)) };
}

/**
 * Checks a recorded CSV row by row against the exchange's truth: header, strictly
 * increasing open times, no hole except the exchange's own gaps, every value exactly as
 * the exchange has it, and its first and last rows where `expected` says. Its own
 * reader: it shares nothing with the recorder's writer or the gaps audit, so a mistake
 * there cannot hide here.
 */
export function checkCsv(path: string, source: TruthSource, symbol: string, interval: Interval, expected: CsvExpectations | ExpectedRange): CsvVerdict {
  const verdict: CsvVerdict = { path, rows: 0, lost: 0, duplicated: 0, wrong: 0, times: [], first: undefined, last: undefined, problems: [] };
  const { first, last } = _bounds(interval, expected);
  const report = _reporter(path, verdict.problems);
  const missing = (from: number, to: number) => {
    for (let t = from; t <= to; t = nextOpenTime(interval, t)) {
      if (!source.truth(symbol, interval, t)) continue;
      verdict.lost++;
      report("missing", `candle ${_iso(t)} is missing`);
    }
  };
  if (!existsSync(path)) {
    verdict.problems.push(`${path} does not exist`);
    missing(first.atMost, last.atLeast);
    report.flush();
    return verdict;
  }
  const text = readFileSync(path, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) verdict.problems.push(`${path} ends without a newline (a torn row)`);
  const lines = text.split("\n");
  if (lines[0] !== HEADER) verdict.problems.push(`${path}: header is "${lines[0]}"`);
  let prev: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    verdict.rows++;
    const [stamp = "", ...values] = line.split(",");
    const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(stamp) ? Date.parse(stamp) : NaN;
    if (Number.isNaN(t)) {
      verdict.wrong++;
      report("wrong", `row ${verdict.rows} has no valid open time: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    verdict.times.push(t);
    const k = source.truth(symbol, interval, t);
    const want = k && `${k.open},${k.high},${k.low},${k.close},${k.volume}`;
    if (values.join(",") !== want) {
      verdict.wrong++;
      report("wrong", want ? `${stamp} is ${values.join(",")}, the exchange has ${want}` : `${stamp} is not a candle of the exchange`);
    }
    if (prev !== undefined && t <= prev) {
      verdict.duplicated++;
      report("duplicated", `${stamp} is not after the row before (${_iso(prev)})`);
      continue;
    }
    if (prev !== undefined) missing(nextOpenTime(interval, prev), previousOpenTime(interval, t));
    else verdict.first = t;
    prev = t;
  }
  verdict.last = prev;
  if (verdict.first === undefined) {
    verdict.problems.push(`${path} has no rows; expected from ${_describe(first)} to ${_describe(last)}`);
    missing(first.atMost, last.atLeast);
  } else {
    _checkEnd(verdict, "starts", verdict.first, first, () => missing(first.atMost, previousOpenTime(interval, verdict.first!)));
    _checkEnd(verdict, "ends", prev!, last, () => missing(nextOpenTime(interval, prev!), last.atLeast));
  }
  report.flush();
  return verdict;
}

/** Sums of several verdicts, and their problems. */
export function totalVerdicts(verdicts: CsvVerdict[]): { rows: number; lost: number; duplicated: number; wrong: number; problems: string[] } {
  return {
    rows: verdicts.reduce((n, v) => n + v.rows, 0),
    lost: verdicts.reduce((n, v) => n + v.lost, 0),
    duplicated: verdicts.reduce((n, v) => n + v.duplicated, 0),
    wrong: verdicts.reduce((n, v) => n + v.wrong, 0),
    problems: verdicts.flatMap((v) => v.problems),
  };
}

/** Open time of the newest row of a candle CSV (read from its tail), or undefined. */
export function newestRowTime(path: string): number | undefined {
  try {
    const size = statSync(path).size;
    const fd = openSync(path, "r");
    const buf = Buffer.alloc(512);
    const n = readSync(fd, buf, 0, 512, Math.max(0, size - 512));
    closeSync(fd);
    const rows = buf.subarray(0, n).toString().split("\n").filter((l) => /^\d{4}-\d{2}-\d{2}T[^,]*Z,/.test(l));
    const t = Date.parse(rows[rows.length - 1]?.split(",")[0] ?? "");
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}

// --- internal ---

const HEADER = "timestamp,open,high,low,close,volume";
/** Problems described per kind (missing, wrong, duplicated) before the rest are only counted. */
const DESCRIBED_PER_KIND = 5;

type Bounds = { atLeast: number; atMost: number };

function _bounds(interval: Interval, expected: CsvExpectations | ExpectedRange): { first: Bounds; last: Bounds } {
  if ("from" in expected) return { first: { atLeast: -Infinity, atMost: expected.from }, last: { atLeast: previousOpenTime(interval, expected.until), atMost: Infinity } };
  const bounds = (b: OpenTimeBound) => (typeof b === "number" ? { atLeast: b, atMost: b } : b);
  return { first: bounds(expected.first), last: bounds(expected.last) };
}

/**
 * The file's first or last row against its bounds. Short of them (a late start, an
 * early stop): `countMissing` counts the exchange's candles in between as lost (none
 * when only exchange gaps lie there), and a problem says so. Beyond them: a problem
 * (rows the caller did not expect).
 */
function _checkEnd(verdict: CsvVerdict, verb: "starts" | "ends", actual: number, bound: Bounds, countMissing: () => void): void {
  const expected = `expected ${_describe(bound)}`;
  if (verb === "starts" ? actual < bound.atLeast : actual > bound.atMost) {
    verdict.problems.push(`${verdict.path} ${verb} at ${_iso(actual)}, ${expected} (rows nobody expected)`);
    return;
  }
  if (verb === "starts" ? actual <= bound.atMost : actual >= bound.atLeast) return;
  const lostBefore = verdict.lost;
  countMissing();
  const lost = verdict.lost - lostBefore;
  if (lost > 0) verdict.problems.push(`${verdict.path} ${verb} at ${_iso(actual)}, ${expected} (${verb === "starts" ? "started late" : "stopped early"}: ${lost} candles missing)`);
}

/** Describes up to DESCRIBED_PER_KIND problems of each kind, then one line with how many more. */
function _reporter(path: string, problems: string[]): ((kind: string, line: string) => void) & { flush(): void } {
  const counts = new Map<string, number>();
  const report = (kind: string, line: string) => {
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    if (n <= DESCRIBED_PER_KIND) problems.push(`${path}: ${line}`);
  };
  return Object.assign(report, {
    flush() {
      for (const [kind, n] of counts) if (n > DESCRIBED_PER_KIND) problems.push(`${path}: ${n - DESCRIBED_PER_KIND} more ${kind}`);
    },
  });
}

function _describe(bound: Bounds): string {
  if (bound.atLeast === bound.atMost) return `at ${_iso(bound.atLeast)}`;
  if (!Number.isFinite(bound.atLeast)) return `at or before ${_iso(bound.atMost)}`;
  if (!Number.isFinite(bound.atMost)) return `at or after ${_iso(bound.atLeast)}`;
  return `between ${_iso(bound.atLeast)} and ${_iso(bound.atMost)}`;
}

function _iso(t: number): string {
  return `${new Date(t).toISOString().slice(0, 19)}Z`;
}
