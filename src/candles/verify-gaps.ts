import { candlesBetween, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";
import type { AuditReport } from "./audit.ts";
import type { Candle } from "./candle.ts";

/** Closed candles of [from, to] (open times, inclusive) as the exchange has them. */
export type KlineFetcher = (from: number, to: number) => Promise<Candle[]>;

/** What the exchange said about the ranges it was asked about. */
export interface ExchangeAnswer {
  /** Ranges asked, [from, to] inclusive, sorted. */
  ranges: { from: number; to: number }[];
  /** Every candle returned, sorted by open time, one per time. */
  candles: Candle[];
}

/** Ranges closer than this many candles are asked in one request (Binance pages by 1000). */
const MERGE_SPAN_CANDLES = 1000;

/**
 * Asks the exchange for every candle the file misses: its holes, the missing head
 * and tail; and for a repair (`repair`), the open times whose copies disagree and
 * the corrupt rows at the end of the file (a crash's torn last row).
 */
export async function askExchange(report: AuditReport, fetcher: KlineFetcher, options: { repair?: boolean } = {}): Promise<ExchangeAnswer> {
  const interval = report.interval;
  if (!interval) return { ranges: [], candles: [] };
  const wanted = missingRanges(report);
  if (options.repair) {
    for (const d of report.duplicates) if (d.conflicting) wanted.push({ from: d.time, to: d.time });
    const tail = corruptTail(report);
    if (tail) wanted.push(tail);
  }
  const ranges = _mergeRanges(interval, wanted);
  const byTime = new Map<number, Candle>();
  for (const range of ranges) for (const candle of await fetcher(range.from, range.to)) byTime.set(candle.openTime, candle);
  return { ranges, candles: [...byTime.values()].sort((a, b) => a.openTime - b.openTime) };
}

/** The report's missing candles as ranges: head, holes, tail. */
export function missingRanges(report: AuditReport): { from: number; to: number }[] {
  const interval = report.interval;
  if (!interval) return [];
  const out: { from: number; to: number }[] = [];
  const { expectedFirst, expectedLast, first, last } = report;
  if (report.headMissing > 0 && expectedFirst !== null) {
    const to = first === null ? expectedLast! : Math.min(previousOpenTime(interval, first), expectedLast ?? Infinity);
    out.push({ from: expectedFirst, to });
  }
  for (const gap of report.gaps) out.push({ from: gap.firstMissing, to: gap.lastMissing });
  if (report.tailMissing > 0 && expectedLast !== null && last !== null) {
    out.push({ from: Math.max(nextOpenTime(interval, last), expectedFirst ?? -Infinity), to: expectedLast });
  }
  return out;
}

/**
 * The run of open times after the last valid candle that only corrupt rows hold
 * (a torn last row), as a range; undefined when there is none.
 */
export function corruptTail(report: AuditReport): { from: number; to: number } | undefined {
  const interval = report.interval;
  if (!interval || report.last === null) return undefined;
  const times = new Set(report.corrupt.map((c) => c.time));
  let to: number | undefined;
  for (let t = nextOpenTime(interval, report.last); times.has(t); t = nextOpenTime(interval, t)) to = t;
  return to === undefined ? undefined : { from: nextOpenTime(interval, report.last), to };
}

/**
 * Judges the report's missing candles by the exchange's answer: a hole with a candle
 * the exchange has is `lost`, one it was asked about and has none of is `exchange`;
 * head and tail count only candles the exchange has.
 */
export function applyExchangeAnswer(report: AuditReport, answer: ExchangeAnswer): void {
  const times = answer.candles.map((c) => c.openTime);
  const asked = (from: number, to: number) => answer.ranges.some((r) => r.from <= from && to <= r.to);
  for (const gap of report.gaps) {
    if (_countIn(times, gap.firstMissing, gap.lastMissing) > 0) gap.kind = "lost";
    else if (asked(gap.firstMissing, gap.lastMissing)) gap.kind = "exchange";
  }
  const [head, tail] = _headTailRanges(report);
  if (head && asked(head.from, head.to)) report.headMissing = _countIn(times, head.from, head.to);
  if (tail && asked(tail.from, tail.to)) report.tailMissing = _countIn(times, tail.from, tail.to);
}

// --- internal ---

function _headTailRanges(report: AuditReport): [{ from: number; to: number } | undefined, { from: number; to: number } | undefined] {
  const ranges = missingRanges(report);
  const head = report.headMissing > 0 ? ranges[0] : undefined;
  const tail = report.tailMissing > 0 ? ranges[ranges.length - 1] : undefined;
  return [head, tail];
}

function _mergeRanges(interval: Interval, ranges: { from: number; to: number }[]): { from: number; to: number }[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && candlesBetween(interval, prev.from, Math.max(prev.to, r.to)) < MERGE_SPAN_CANDLES) prev.to = Math.max(prev.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** Number of sorted `times` within [from, to]. */
function _countIn(times: number[], from: number, to: number): number {
  return _lowerBound(times, to + 1) - _lowerBound(times, from);
}

function _lowerBound(times: number[], value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
