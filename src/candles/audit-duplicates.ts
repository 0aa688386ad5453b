/**
 * Telling identical copies of a candle from conflicting ones. The audit knows which
 * lines hold the same open time but keeps no row text; a second pass reads just
 * those lines (audit-file.ts) and compares them here.
 */
import type { AuditReport } from "./audit.ts";

/** Collects the lines of `report`'s duplicates: the second pass needs their text. */
export function duplicateLines(report: AuditReport): Set<number> {
  return new Set(report.duplicates.flatMap((d) => d.lines));
}

/** Sets `conflicting` on each duplicate from the text of its lines. */
export function markConflicts(report: AuditReport, lineText: Map<number, string>): void {
  for (const dup of report.duplicates) {
    const [first, ...others] = dup.lines.map((l) => lineText.get(l) ?? "");
    dup.conflicting = others.some((o) => !sameCandleValues(first!, o));
  }
}

/** True when two rows hold the same values after the open time (`1.50` equals `1.5`). */
export function sameCandleValues(a: string, b: string): boolean {
  const fa = a.replace(/\r$/, "").split(",").slice(1);
  const fb = b.replace(/\r$/, "").split(",").slice(1);
  return fa.length === fb.length && fa.every((f, i) => f === fb[i] || _normalDecimal(f) === _normalDecimal(fb[i]!));
}

// --- internal ---

function _normalDecimal(text: string): string {
  return /^-?\d+\.\d*$/.test(text) ? text.replace(/\.?0+$/, "") : text;
}
