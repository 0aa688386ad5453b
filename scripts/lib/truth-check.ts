import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { nextOpenTime, type Interval } from "../../src/time/intervals.ts";

/** Anything that knows the exchange's final candles (the simulator's `Exchange`). */
export interface TruthSource {
  truth(symbol: string, interval: Interval, openTime: number): { open: string; high: string; low: string; close: string; volume: string } | undefined;
}

export interface CsvVerdict {
  path: string;
  rows: number;
  /** Candles the exchange has, within the expected range, that the file lacks. */
  lost: number;
  /** Rows whose open time is not after the row before. */
  duplicated: number;
  /** Rows that are not a candle of the exchange, or whose values differ from it. */
  wrong: number;
  first: number | undefined;
  last: number | undefined;
  /** Header missing or wrong, no final newline, file missing. */
  problems: string[];
}

export interface ExpectedRange {
  /** The first candle that must be there (open time); @default the file's first row */
  from?: number;
  /** Every candle opening before this must be there; @default the file's last row */
  until?: number;
}

const HEADER = "timestamp,open,high,low,close,volume";

/**
 * Checks a recorded CSV row by row against the exchange's truth and counts what is
 * lost, duplicated or wrong. Its own reader: it shares nothing with the recorder's
 * writer or the gaps audit, so a mistake there cannot hide here.
 */
export function checkCsv(path: string, source: TruthSource, symbol: string, interval: Interval, range: ExpectedRange = {}): CsvVerdict {
  const verdict: CsvVerdict = { path, rows: 0, lost: 0, duplicated: 0, wrong: 0, first: undefined, last: undefined, problems: [] };
  if (!existsSync(path)) {
    verdict.problems.push(`${path} does not exist`);
    return verdict;
  }
  const text = readFileSync(path, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) verdict.problems.push(`${path} ends without a newline (a torn row)`);
  const lines = text.split("\n");
  if (lines[0] !== HEADER) verdict.problems.push(`${path}: header is "${lines[0]}"`);
  const missing = (from: number, to: number) => {
    for (let t = from; t < to; t = nextOpenTime(interval, t)) if (source.truth(symbol, interval, t)) verdict.lost++;
  };
  let prev: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    verdict.rows++;
    const [stamp = "", ...values] = line.split(",");
    const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(stamp) ? Date.parse(stamp) : NaN;
    if (Number.isNaN(t)) {
      verdict.wrong++;
      continue;
    }
    const k = source.truth(symbol, interval, t);
    if (!k || values.join(",") !== `${k.open},${k.high},${k.low},${k.close},${k.volume}`) verdict.wrong++;
    if (prev !== undefined && t <= prev) {
      verdict.duplicated++;
      continue;
    }
    if (prev !== undefined) missing(nextOpenTime(interval, prev), t);
    else verdict.first = t;
    prev = t;
  }
  verdict.last = prev;
  if (range.from !== undefined) missing(range.from, verdict.first ?? range.until ?? range.from);
  if (range.until !== undefined) missing(prev === undefined ? (range.from ?? range.until) : nextOpenTime(interval, prev), range.until);
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
