/** Small number helpers for the benchmark and soak reports. */

/** The p-th percentile (0..100) of `values`, nearest-rank. NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** `1.23 s`, `45.6 ms`, `789 µs`: three significant figures. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (ms >= 1000) return `${_sig(ms / 1000)} s`;
  if (ms >= 1) return `${_sig(ms)} ms`;
  return `${_sig(ms * 1000)} µs`;
}

/** `38.2 MiB` from KiB. */
export function formatKb(kb: number): string {
  if (!Number.isFinite(kb)) return "n/a";
  return `${_sig(kb / 1024)} MiB`;
}

/** `2.31x`. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "n/a";
}

/** `1,000,000`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A Markdown table: the first row is the header. */
export function markdownTable(rows: readonly (readonly string[])[], align: ("l" | "r")[] = []): string {
  const [head = [], ...body] = rows;
  const rule = head.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [head, rule, ...body].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

// --- internal ---

function _sig(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
