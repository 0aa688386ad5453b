/**
 * The Prometheus text exposition format, version 0.0.4 (what `GET /metrics` serves):
 * `# HELP` and `# TYPE` per family, then one line per series. Pure.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels?: Labels;
  value: number;
}

/** One histogram series: `counts[i]` observations fell in (bounds[i-1], bounds[i]]; the last count is above every bound. */
export interface HistogramSample {
  labels?: Labels;
  /** Upper bounds, ascending, without +Inf. */
  bounds: readonly number[];
  /** Per bucket (not cumulative), bounds.length + 1 entries. */
  counts: readonly number[];
  sum: number;
}

export type MetricFamily =
  | { name: string; help: string; type: "counter" | "gauge"; samples: readonly Sample[] }
  | { name: string; help: string; type: "histogram"; samples: readonly HistogramSample[] };

/**
 * Renders the families in one pass. A counter's name must end in `_total` (its samples
 * carry the same name); a histogram gets cumulative `_bucket{le=…}` lines ending with
 * `le="+Inf"`, then `_sum` and `_count`. A family without samples is left out. A broken
 * family (a bad name, unsorted bounds) is a bug and throws.
 */
export function renderExposition(families: Iterable<MetricFamily>): string {
  let out = "";
  for (const family of families) {
    if (family.samples.length === 0) continue;
    _checkName(family.name);
    if (family.type === "counter" && !family.name.endsWith("_total")) throw new Error(`counter ${family.name} must end in _total`);
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    if (family.type === "histogram") {
      for (const sample of family.samples) out += _histogram(family.name, sample);
    } else {
      for (const sample of family.samples) out += `${family.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}\n`;
    }
  }
  return out;
}

/** `{a="1",b="2"}`, or "" without labels. */
export function formatLabels(labels: Labels | undefined, extra?: readonly [string, string]): string {
  let out = "";
  if (labels) {
    for (const name in labels) {
      _checkLabelName(name);
      out += `${out ? "," : ""}${name}="${escapeLabelValue(labels[name]!)}"`;
    }
  }
  if (extra) out += `${out ? "," : ""}${extra[0]}="${escapeLabelValue(extra[1])}"`;
  return out ? `{${out}}` : "";
}

/** A label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** A sample value as Go's ParseFloat reads it: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

// --- internal ---

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function _checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`"${name}" is not a metric name`);
}

function _checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith("__") || name === "le") throw new Error(`"${name}" is not a label name`);
}

function _histogram(name: string, sample: HistogramSample): string {
  const { bounds, counts } = sample;
  if (counts.length !== bounds.length + 1) throw new Error(`histogram ${name}: ${counts.length} counts for ${bounds.length} bounds`);
  let out = "";
  let cumulative = 0;
  for (let i = 0; i <= bounds.length; i++) {
    if (i > 0 && i < bounds.length && !(bounds[i]! > bounds[i - 1]!)) throw new Error(`histogram ${name}: bounds must ascend`);
    cumulative += counts[i]!;
    const le = i < bounds.length ? formatValue(bounds[i]!) : "+Inf";
    out += `${name}_bucket${formatLabels(sample.labels, ["le", le])} ${cumulative}\n`;
  }
  const labels = formatLabels(sample.labels);
  return `${out}${name}_sum${labels} ${formatValue(sample.sum)}\n${name}_count${labels} ${cumulative}\n`;
}
