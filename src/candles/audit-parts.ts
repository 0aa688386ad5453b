/**
 * An audit's state as plain data: what the audit of one byte range of a file found,
 * and what the audit of the range after it carries on from. A large file is split
 * into ranges audited in parallel (audit-split.ts); joining their parts here gives
 * exactly the report of one audit over the whole file, or says it cannot.
 */
import type { Interval } from "../time/intervals.ts";
import type { AuditOptions, AuditReport, CorruptFinding, DuplicateFinding, GapKind, TimedFinding } from "./audit.ts";
import { expectedCoverage } from "./audit-coverage.ts";
import type { CandleFormat } from "./audit-row.ts";
import { createCandleSet, type Segment } from "./audit-set.ts";

export interface AuditPart {
  format: CandleFormat | null;
  headerLine: number | null;
  /** The header as written, to recognise it repeated further on. */
  headerText: string;
  crlf: boolean;
  micros: boolean;
  interval: Interval | null;
  intervalInferred: boolean;
  /** Lines read; the findings' line numbers count from the part's first line. */
  lines: number;
  /** The candles seen, as runs (audit-set.ts). */
  segments: Segment[];
  duplicates: DuplicateFinding[];
  outOfOrder: TimedFinding[];
  misaligned: TimedFinding[];
  corrupt: CorruptFinding[];
}

/**
 * `whole` followed by `part`, the audit of the lines right after it; or undefined when
 * `part` holds a candle at or before the last of `whole`. Only then could a candle of
 * `part` be a duplicate or a late row of one in `whole`, which `part`'s own audit could
 * not see: the caller audits those lines again, carrying on from `whole`.
 */
export function appendPart(whole: AuditPart, part: AuditPart): AuditPart | undefined {
  const last = whole.segments.at(-1)?.endTime;
  const first = part.segments[0]?.startTime;
  if (last !== undefined && first !== undefined && first <= last) return undefined;
  const offset = whole.lines;
  const at = <T extends { line: number }>(f: T): T => ({ ...f, line: f.line + offset });
  return {
    ...whole,
    micros: whole.micros || part.micros,
    lines: whole.lines + part.lines,
    segments: [...whole.segments, ...part.segments.map((s) => ({ ...s, startLine: s.startLine + offset, endLine: s.endLine + offset }))],
    duplicates: [...whole.duplicates, ...part.duplicates.map((d) => ({ ...d, lines: d.lines.map((l) => l + offset) }))],
    outOfOrder: [...whole.outOfOrder, ...part.outOfOrder.map(at)],
    misaligned: [...whole.misaligned, ...part.misaligned.map(at)],
    corrupt: [...whole.corrupt, ...part.corrupt.map(at)],
  };
}

/** The report of a whole file's part: holes from its runs, coverage against the options. */
export function reportOfPart(part: AuditPart, options: AuditOptions): AuditReport {
  // Without an interval (fewer than two distinct times) the runs are still counted, as 1m ones.
  const set = createCandleSet(part.interval ?? "1m", part.segments);
  const first = set.first();
  const last = set.last();
  const coverage = part.interval ? expectedCoverage(part.interval, first, last, options) : { expectedFirst: null, expectedLast: null, headMissing: 0, tailMissing: 0 };
  return {
    format: part.format,
    headerLine: part.headerLine,
    crlf: part.crlf,
    micros: part.micros,
    interval: part.interval,
    intervalInferred: part.intervalInferred,
    rows: set.count(),
    first,
    last,
    gaps: part.interval ? set.holes().map((h) => ({ ...h, kind: "unknown" as GapKind })) : [],
    duplicates: part.duplicates,
    outOfOrder: part.outOfOrder,
    misaligned: part.misaligned,
    corrupt: [...part.corrupt].sort((a, b) => a.line - b.line),
    ...coverage,
  };
}
