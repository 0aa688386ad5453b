/**
 * One large candle file audited in parallel: split into byte ranges at line starts,
 * each range audited on its own (in a worker process, audit-pool.ts), the parts
 * joined in order (audit-parts.ts). Where a range holds a candle at or before the
 * last one of the ranges before it (a duplicate, a late row or a reordering across a
 * seam), its part cannot be joined as it is: that range is audited again, carrying on
 * from the parts before it. So the report is exactly the one a single pass over the
 * file gives, findings at seams included.
 */
import { closeSync, readSync } from "node:fs";
import { createCandleAudit, type AuditReport } from "./audit.ts";
import { forEachChunkIn, intervalFromName, openCandleFile, settleDuplicates, type AuditFileOptions } from "./audit-file.ts";
import { appendPart, reportOfPart, type AuditPart } from "./audit-parts.ts";

/** Files smaller than this are audited whole: a worker per range would cost more than it saves. */
export const SPLIT_MIN_BYTES = 32 << 20;
/** Size of a range: small enough that the workers finish together, large enough that a range is mostly scanning. */
export const RANGE_BYTES = 32 << 20;
/** The head read to learn the format, and the interval when it must be inferred (1,000 rows of any format fit). */
const HEAD_BYTES = 1 << 20;
/** The head read when the interval is known: the header and a first row are enough. */
const SHORT_HEAD_BYTES = 64 << 10;
/** How far after a cut its line end is looked for: a longer line is not a candle (MAX_LINE_BYTES). */
const CUT_WINDOW_BYTES = 64 << 10;

/** One range of a file: `[start, end)`, `end` null for "to the end of the file, as it is then". */
export interface RangeJob {
  file: string;
  start: number;
  end: number | null;
  /** The file's format, header and interval, from its head (a part with no lines): what a range after the first starts from. */
  head: AuditPart;
}

export interface SplitOptions {
  /** Files smaller than this are audited whole. @default SPLIT_MIN_BYTES */
  minBytes?: number;
  /** Size of a range. @default RANGE_BYTES */
  rangeBytes?: number;
}

/**
 * The ranges to audit `file` (of `size` bytes) in, for `workers` workers; undefined
 * when it is better audited whole: small, or its format or interval is not known from
 * its head (the interval is then inferred from the data, which one pass does best).
 * Throws the UserError a whole audit would throw when its head is not a candle file.
 */
export function planRanges(file: string, size: number, workers: number, options: AuditFileOptions, split: SplitOptions = {}): RangeJob[] | undefined {
  if (workers < 2 || size < (split.minBytes ?? SPLIT_MIN_BYTES)) return undefined;
  const head = fileHead(file, options);
  if (head === undefined) return undefined;
  return rangeJobs(file, head, lineStarts(file, size, Math.max(workers, Math.ceil(size / (split.rangeBytes ?? RANGE_BYTES)))));
}

/** What the ranges of `file` start from: its format, header and interval as read from its head (a part with no lines), if they are known there. */
export function fileHead(file: string, options: AuditFileOptions): AuditPart | undefined {
  const interval = options.interval ?? intervalFromName(file);
  const probe = createCandleAudit({ ...options, interval, source: file });
  forEachChunkIn(file, 0, interval ? SHORT_HEAD_BYTES : HEAD_BYTES, (chunk) => probe.push(chunk));
  const head = probe.part();
  if (head.format === null || head.interval === null) return undefined;
  return { ...head, lines: 0, micros: false, segments: [], duplicates: [], outOfOrder: [], misaligned: [], corrupt: [] };
}

/** The ranges between successive `starts` (the first 0, the last to the end of the file). */
export function rangeJobs(file: string, head: AuditPart, starts: number[]): RangeJob[] {
  return starts.map((start, k) => ({ file, start, end: starts[k + 1] ?? null, head }));
}

/**
 * Offsets that cut `file` into about `count` ranges, each at the start of a line: the
 * first is 0. A cut falling in a line moves to the line's end; one with no line end
 * within 64 KiB (garbage) is dropped.
 */
export function lineStarts(file: string, size: number, count: number): number[] {
  const starts = [0];
  const window = new Uint8Array(CUT_WINDOW_BYTES);
  const fd = openCandleFile(file);
  try {
    for (let k = 1; k < count; k++) {
      const at = Math.floor((size * k) / count) - 1;
      if (at <= starts.at(-1)!) continue;
      const n = readSync(fd, window, 0, window.length, at);
      const nl = window.subarray(0, n).indexOf(10);
      const start = at + nl + 1;
      if (nl >= 0 && start < size && start > starts.at(-1)!) starts.push(start);
    }
  } finally {
    closeSync(fd);
  }
  return starts;
}

/** Audits one range on its own (a worker's job): the first as any file, the others from the head. */
export function auditRange(job: RangeJob, options: AuditFileOptions): AuditPart {
  const first = job.start === 0;
  const audit = createCandleAudit({ ...options, source: job.file, interval: job.head.interval ?? undefined, after: first ? undefined : job.head });
  forEachChunkIn(job.file, job.start, job.end, (chunk) => audit.push(chunk));
  audit.end();
  return audit.part();
}

/**
 * The report of a file from its ranges' parts (in order). A part that cannot be joined
 * is replaced by its range audited again in this process, carrying on from the parts
 * before it; the parts after it are joined to that as before. Duplicates are then told
 * identical or conflicting.
 */
export function joinRanges(jobs: RangeJob[], parts: AuditPart[], options: AuditFileOptions): AuditReport {
  const file = jobs[0]!.file;
  let whole = parts[0]!;
  for (let k = 1; k < parts.length; k++) {
    whole = appendPart(whole, parts[k]!) ?? _auditAfter(whole, jobs[k]!, options);
  }
  // The ranges were given the head's interval; say whether the head inferred it.
  const report = reportOfPart({ ...whole, intervalInferred: jobs[0]!.head.intervalInferred }, options);
  return settleDuplicates(file, report);
}

// --- internal ---

/** `job`'s range audited as the lines after `whole`: the two as one part. */
function _auditAfter(whole: AuditPart, job: RangeJob, options: AuditFileOptions): AuditPart {
  const audit = createCandleAudit({ ...options, source: job.file, after: whole });
  forEachChunkIn(job.file, job.start, job.end, (chunk) => audit.push(chunk));
  audit.end();
  return audit.part();
}
