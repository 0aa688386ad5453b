import type { AuditReport, GapFinding } from "../candles/audit.ts";
import type { FileCheck } from "../candles/gaps-check.ts";
import { formatIsoMillis, formatIsoSeconds } from "../time/timestamp.ts";

/** One JSON Lines record for a file, with exactly the documented keys. */
export function renderGapsJson(check: FileCheck): string {
  const r = check.report;
  return JSON.stringify({
    file: check.file,
    interval: r.interval,
    rows: r.rows,
    first: _iso(r.first),
    last: _iso(r.last),
    gaps: r.gaps.map((g) => ({
      prev: _iso(g.prev),
      next: _iso(g.next),
      first_missing: _iso(g.firstMissing),
      last_missing: _iso(g.lastMissing),
      missing: g.missing,
      line: g.line,
      kind: g.kind,
    })),
    duplicates: r.duplicates.map((d) => ({ time: _iso(d.time), lines: d.lines, conflicting: d.conflicting })),
    out_of_order: r.outOfOrder.map((o) => ({ time: _iso(o.time), line: o.line })),
    misaligned: r.misaligned.map((m) => ({ time: _iso(m.time), line: m.line })),
    corrupt: r.corrupt.map((c) => ({ line: c.line, reason: c.reason })),
    head_missing: r.headMissing,
    tail_missing: r.tailMissing,
    // Only with --verify: the last row against the exchange, and rows the recorder replaced.
    ...(check.conflictLog === undefined
      ? {}
      : {
          last_row: check.lastRow
            ? { time: _iso(check.lastRow.time), agrees: check.lastRow.fields.length === 0, fields: check.lastRow.fields, file_row: check.lastRow.fileRow, exchange_row: check.lastRow.exchangeRow }
            : null,
          conflict_log: check.conflictLog,
        }),
  });
}

/**
 * The human report: a summary line (candles, first..last, a count per finding
 * kind), what --fill did, then one line per finding in file order. `color` only for
 * a terminal that allows it.
 */
export function renderGapsText(check: FileCheck, options: { color: boolean }): string[] {
  const r = check.report;
  const paint = _painter(options.color);
  const lines = [_summary(check.file, r, paint)];
  if (check.repair) {
    const { added, dropped, moved, backup } = check.repair;
    lines.push(`  repaired: ${added} candles added from the exchange, ${dropped} lines dropped, ${moved} rows moved; original kept as ${backup}`);
  } else if (check.repair === null) lines.push("  --fill: nothing the exchange could fill; file left as it was");
  if (r.headMissing > 0) lines.push(`  ${paint.red("head")}: ${r.headMissing} candles missing from ${_iso(r.expectedFirst)} (--since)`);
  const findings: { line: number; text: string }[] = [
    ...r.gaps.map((g) => ({ line: g.line, text: _gapText(g, paint) })),
    ...r.duplicates.map((d) => ({
      line: d.lines[d.lines.length - 1]!,
      text: `${paint.red("duplicate")} ${_iso(d.time)} on lines ${d.lines.join(", ")}, ${d.conflicting ? paint.red("conflicting values") : "identical values"}`,
    })),
    ...r.outOfOrder.map((o) => ({ line: o.line, text: `${paint.red("out of order")} ${_iso(o.time)} (after a later candle)` })),
    ...r.misaligned.map((m) => ({ line: m.line, text: `${paint.red("misaligned")} ${_iso(m.time)} is not on a ${r.interval} boundary` })),
    ...r.corrupt.map((c) => ({ line: c.line, text: `${paint.red("corrupt")}: ${c.reason}` })),
  ];
  findings.sort((a, b) => a.line - b.line);
  for (const f of findings) lines.push(`  ${check.position ?? "line"} ${f.line}: ${f.text}`);
  if (r.tailMissing > 0) lines.push(`  ${paint.red("tail")}: ${r.tailMissing} candles missing up to ${_iso(r.expectedLast)} (--until)`);
  lines.push(..._verifyLines(check, paint));
  return lines;
}

/** What `resilience gaps` over many files found in all, for its last line. */
export interface GapsTotals {
  files: number;
  /** Files that could not be read as candles (their error is on stderr). */
  unreadable: number;
  /** Files with a finding (`hasCheckFindings`). */
  withFindings: number;
  rows: number;
  gaps: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  misaligned: number;
  corrupt: number;
  headMissing: number;
  tailMissing: number;
}

export function emptyGapsTotals(): GapsTotals {
  return { files: 0, unreadable: 0, withFindings: 0, rows: 0, gaps: 0, missing: 0, duplicates: 0, outOfOrder: 0, misaligned: 0, corrupt: 0, headMissing: 0, tailMissing: 0 };
}

/** Adds one file: its check and whether it had findings, or null when it was unreadable. */
export function addToGapsTotals(totals: GapsTotals, check: FileCheck | null, found: boolean): void {
  totals.files++;
  if (check === null) {
    totals.unreadable++;
    return;
  }
  const r = check.report;
  if (found) totals.withFindings++;
  totals.rows += r.rows;
  totals.gaps += r.gaps.length;
  totals.missing += r.gaps.reduce((n, g) => n + g.missing, 0);
  totals.duplicates += r.duplicates.length;
  totals.outOfOrder += r.outOfOrder.length;
  totals.misaligned += r.misaligned.length;
  totals.corrupt += r.corrupt.length;
  totals.headMissing += r.headMissing;
  totals.tailMissing += r.tailMissing;
}

/** The one line that ends the human report over several files. */
export function renderGapsTotals(t: GapsTotals, options: { color: boolean }): string {
  const paint = _painter(options.color);
  const counts = [
    `gaps ${t.gaps}${t.missing ? ` (${t.missing} missing)` : ""}`,
    `duplicates ${t.duplicates}`,
    `out of order ${t.outOfOrder}`,
    `misaligned ${t.misaligned}`,
    `corrupt ${t.corrupt}`,
    `head missing ${t.headMissing}`,
    `tail missing ${t.tailMissing}`,
  ];
  const verdict = t.withFindings + t.unreadable === 0 ? paint.green("ok") : paint.red(`${t.withFindings} with findings, ${t.unreadable} unreadable`);
  return `total: ${t.files} files, ${t.rows} candles; ${counts.join(", ")}; ${verdict}`;
}

// --- internal ---

type Paint = Record<"red" | "yellow" | "green", (s: string) => string>;

function _painter(color: boolean): Paint {
  const wrap = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap(31), yellow: wrap(33), green: wrap(32) };
}

function _summary(file: string, r: AuditReport, paint: Paint): string {
  const interval = r.interval ? `${r.interval}${r.intervalInferred ? " (inferred from the data)" : ""}` : "interval unknown";
  const span = r.first === null ? "no candles" : `${r.rows} candles ${_iso(r.first)} .. ${_iso(r.last)}`;
  const missing = r.gaps.reduce((n, g) => n + g.missing, 0);
  const exchange = r.gaps.filter((g) => g.kind === "exchange").length;
  const counts = [
    `gaps ${r.gaps.length}${missing ? ` (${missing} missing${exchange ? `, ${exchange} the exchange's own` : ""})` : ""}`,
    `duplicates ${r.duplicates.length}`,
    `out of order ${r.outOfOrder.length}`,
    `misaligned ${r.misaligned.length}`,
    `corrupt ${r.corrupt.length}`,
  ];
  if (r.expectedFirst !== null) counts.push(`head missing ${r.headMissing}`);
  if (r.expectedLast !== null) counts.push(`tail missing ${r.tailMissing}`);
  const clean = r.gaps.every((g) => g.kind === "exchange") && !r.duplicates.length && !r.outOfOrder.length && !r.misaligned.length && !r.corrupt.length && !r.headMissing && !r.tailMissing;
  return `${file}: ${interval}, ${span}; ${counts.join(", ")}${clean ? ` ${paint.green("ok")}` : ""}`;
}

/** --verify: the last row's verdict and the rows the recorder replaced earlier. */
function _verifyLines(check: FileCheck, paint: Paint): string[] {
  const lines: string[] = [];
  const last = check.lastRow;
  if (last && last.fields.length === 0) lines.push(`  last row ${_iso(last.time)}: agrees with the exchange`);
  else if (last) {
    const exchange = last.exchangeRow === null ? "" : `; the exchange has ${last.exchangeRow}`;
    lines.push(`  last row ${_iso(last.time)}: ${paint.red("mismatch")} (${last.fields.join(", ")}): the file has ${last.fileRow.split(",").slice(1, 6).join(",")}${exchange}`);
  }
  const log = check.conflictLog ?? [];
  if (log.length > 0) {
    const shown = log.slice(-3).map((c) => `${c.open_time} ${c.action} (${c.fields.join(", ")})`).join("; ");
    lines.push(`  ${paint.yellow("conflicts")}: the recorder took ${log.length} row${log.length === 1 ? "" : "s"} out of this file because the exchange disagreed, kept in ${check.file}.conflicts.jsonl: ${shown}`);
  }
  return lines;
}

function _gapText(g: GapFinding, paint: Paint): string {
  const kind = g.kind === "exchange" ? paint.yellow("exchange gap (the exchange has no such candle)") : g.kind === "lost" ? paint.red("lost (the exchange has it)") : "not verified";
  const range = g.missing === 1 ? _iso(g.firstMissing) : `${_iso(g.firstMissing)} .. ${_iso(g.lastMissing)}`;
  return `${g.kind === "exchange" ? paint.yellow("gap") : paint.red("gap")} of ${g.missing} ${range}, between ${_iso(g.prev)} and ${_iso(g.next)}: ${kind}`;
}

/** `2024-01-02T03:00:00Z`, with milliseconds only when the time has them. */
function _iso(ms: number | null): string | null {
  if (ms === null) return null;
  return ms % 1000 === 0 ? formatIsoSeconds(ms) : formatIsoMillis(ms);
}
