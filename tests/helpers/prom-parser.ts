/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: it throws on anything a
 * scraper could reject or misread, naming the line. Stricter than Prometheus itself (no
 * blank lines, families declared with TYPE before their samples, counters named `_total`).
 */

export type PromType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: PromType;
  help: string | undefined;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|NaN)$/;
const TYPES: readonly PromType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

/** Parses `text` into its families (by name, in order); throws `line N: why` on the first fault. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition does not end with a line feed");
  const families = new Map<string, PromFamily>();
  const series = new Set<string>();
  let current: PromFamily | undefined;
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === "") fail("blank line");
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // an ordinary comment
      const [, kind, name, rest = ""] = m;
      if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) fail("bad metric name");
      let family = families.get(name!);
      if (family && family !== current) fail(`${name} declared again after other families`);
      if (!family) {
        if (current && current.samples.length === 0) fail(`${current.name} has no samples`);
        family = { name: name!, type: "untyped", help: undefined, samples: [] };
        families.set(name!, family);
        current = family;
      }
      if (family.samples.length > 0) fail(`${kind} after the samples of ${name}`);
      if (kind === "HELP") {
        if (family.help !== undefined) fail("second HELP");
        if (/\\(?!n)/.test(rest.replace(/\\\\/g, ""))) fail("bad escape in HELP");
        family.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
      } else {
        if (!TYPES.includes(rest as PromType)) fail("unknown type");
        if (family.type !== "untyped" || _typed.has(family)) fail("second TYPE");
        family.type = rest as PromType;
        _typed.add(family);
      }
      return;
    }
    const sample = _sampleLine(line, fail);
    if (!current || !_typed.has(current)) fail("a sample before any TYPE");
    const family = current!;
    const suffix = _suffixFor(family, sample.name) ?? fail(`${sample.name} does not belong to the ${family.type} ${family.name}`);
    if (family.type === "counter" && !family.name.endsWith("_total")) fail("a counter not named _total");
    if (family.type === "counter" && !(sample.value >= 0)) fail("a counter below 0");
    if (suffix === "_bucket" && !FLOAT.test(sample.labels.le ?? "")) fail("a bucket without a numeric le");
    if (suffix !== "_bucket" && sample.labels.le !== undefined && family.type === "histogram") fail("le outside a bucket");
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) fail("duplicate series");
    series.add(key);
    family.samples.push(sample);
  });
  if (current && current.samples.length === 0) throw new Error(`${current.name} has no samples`);
  for (const family of families.values()) if (family.type === "histogram") _checkHistogram(family);
  return families;
}

/** The one sample of `name` whose labels include `labels`; throws when there is none or several. */
export function sampleValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const found = [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}

// --- internal ---

/** Families whose TYPE line was read (a family may be declared `untyped` explicitly). */
const _typed = new WeakSet<PromFamily>();

function _suffixFor(family: PromFamily, sampleName: string): string | undefined {
  const suffixes = family.type === "histogram" ? ["_bucket", "_sum", "_count"] : family.type === "summary" ? ["", "_sum", "_count"] : [""];
  return suffixes.find((s) => sampleName === `${family.name}${s}`);
}

function _sampleLine(line: string, fail: (why: string) => never): PromSample {
  const name = NAME.exec(line)?.[0] ?? fail("bad metric name");
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === "{") {
    at++;
    while (line[at] !== "}") {
      const label = LABEL_NAME.exec(line.slice(at))?.[0] ?? fail("bad label name");
      if (label in labels) fail(`label ${label} twice`);
      at += label.length;
      if (line.slice(at, at + 2) !== '="') fail("label without =\"");
      at += 2;
      let value = "";
      for (;;) {
        const c = line[at++];
        if (c === undefined) fail("unterminated label value");
        if (c === '"') break;
        if (c === "\\") {
          const e = line[at++];
          if (e === "\\" || e === '"') value += e;
          else if (e === "n") value += "\n";
          else fail("bad escape in a label value");
        } else value += c;
      }
      labels[label] = value;
      if (line[at] === ",") at++;
      else if (line[at] !== "}") fail("labels not separated by ,");
    }
    at++;
  }
  if (line[at] !== " ") fail("no space before the value");
  const [valueText, timestamp, ...more] = line.slice(at + 1).split(" ");
  if (more.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) fail("bad timestamp or trailing text");
  if (!FLOAT.test(valueText!)) fail("bad value");
  const value = valueText!.endsWith("Inf") ? (valueText!.startsWith("-") ? -Infinity : Infinity) : Number(valueText);
  return { name, labels, value };
}

function _checkHistogram(family: PromFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name.endsWith("_bucket")) g.buckets.push([le === "+Inf" ? Infinity : Number(le), s.value]);
    else if (s.name.endsWith("_sum")) g.sum = s.value;
    else g.count = s.value;
  }
  for (const [key, g] of groups) {
    const what = `histogram ${family.name}${key}`;
    if (g.sum === undefined || g.count === undefined) throw new Error(`${what}: no _sum or _count`);
    for (let i = 0; i < g.buckets.length; i++) {
      const [le, n] = g.buckets[i]!;
      if (Number.isNaN(le)) throw new Error(`${what}: le is not a number`);
      if (i > 0 && !(le > g.buckets[i - 1]![0])) throw new Error(`${what}: le not ascending`);
      if (i > 0 && n < g.buckets[i - 1]![1]) throw new Error(`${what}: buckets not cumulative`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${what}: no +Inf bucket last`);
    if (last[1] !== g.count) throw new Error(`${what}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}
