/**
 * The metrics `resilience run --listen` serves, with their labels, and a small PromQL
 * reader that lists the metric names and labels an expression uses: the deploy files
 * (Grafana panels, Prometheus rules) may only use these.
 */

/** Labels every scraped series carries (target labels). */
export const TARGET_LABELS = ["job", "instance"] as const;

/** Metric name -> its own labels (besides job and instance). */
export const METRICS: Readonly<Record<string, readonly string[]>> = {
  up: [],
  resilience_build_info: ["version", "market"],
  resilience_candles_written_total: ["symbol", "interval", "market"],
  resilience_backfilled_candles_total: ["symbol", "interval", "market"],
  resilience_exchange_gaps_total: ["symbol", "interval", "market"],
  resilience_last_candle_timestamp_seconds: ["symbol", "interval", "market"],
  resilience_reconnects_total: ["kind"],
  resilience_connections: [],
  resilience_last_message_timestamp_seconds: [],
  resilience_rest_requests_total: ["code"],
  resilience_rest_weight_used: [],
  resilience_write_seconds_bucket: ["le"],
  resilience_write_seconds_sum: [],
  resilience_write_seconds_count: [],
  resilience_alerts_total: ["channel", "result"],
  resilience_replication_lag_seconds: [],
  resilience_replication_pending_rows: [],
  resilience_replicated_rows_total: [],
  resilience_replication_conflicts_total: [],
  process_max_fds: [],
  process_resident_memory_bytes: [],
  process_cpu_seconds_total: [],
  process_start_time_seconds: [],
  process_open_fds: [],
};

export interface Selector {
  name: string;
  /** Label names in its matchers. */
  labels: string[];
}

export interface ExprUse {
  selectors: Selector[];
  /** Labels named in by/without/on/ignoring/group_left/group_right. */
  groupingLabels: string[];
  /** Grafana variables ($name, ${name}) it refers to. */
  variables: string[];
}

const KEYWORDS = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "atan2",
  "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
  "inf", "nan",
]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

type Token = { kind: "ident" | "string" | "braces" | "brackets" | "number" | "punct"; text: string };

/** What an expression uses. Throws on something this reader does not understand. */
export function readExpr(expr: string): ExprUse {
  const variables = [...expr.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
  const tokens = tokenize(expr.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => (name.startsWith("__") ? "5m" : name)));
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === "braces" && tokens[i - 1]?.kind !== "ident") throw new Error(`a selector without a metric name in ${expr}`);
    if (t.kind !== "ident") continue;
    const word = t.text.toLowerCase();
    if (GROUPING.has(word)) {
      if (next?.text === "(") {
        let j = i + 2;
        for (; j < tokens.length && tokens[j]!.text !== ")"; j++) if (tokens[j]!.kind === "ident") groupingLabels.push(tokens[j]!.text);
        i = j;
      }
      continue;
    }
    if (KEYWORDS.has(word)) continue;
    if (next?.text === "(") continue; // a function
    const labels = next?.kind === "braces" ? matcherLabels(next.text, expr) : [];
    selectors.push({ name: t.text, labels });
  }
  return { selectors, groupingLabels, variables };
}

/** Problems with an expression's names and labels; `extra` adds names (recording rules). */
export function checkExpr(expr: string, extra: Readonly<Record<string, readonly string[]>> = {}): string[] {
  const known = { ...METRICS, ...extra };
  const use = readExpr(expr);
  const problems: string[] = [];
  const labelsInUse = new Set<string>(TARGET_LABELS);
  for (const s of use.selectors) {
    const own = known[s.name];
    if (!own) {
      problems.push(`unknown metric ${s.name} in: ${expr}`);
      continue;
    }
    for (const l of own) labelsInUse.add(l);
    for (const l of s.labels) if (!own.includes(l) && !(TARGET_LABELS as readonly string[]).includes(l)) problems.push(`${s.name} has no label ${l} (in: ${expr})`);
  }
  for (const l of use.groupingLabels) if (!labelsInUse.has(l)) problems.push(`no metric in the expression has the label ${l} (in: ${expr})`);
  return problems;
}

// --- internal ---

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < expr.length && expr[i] !== "\n") i++;
    } else if (c === '"' || c === "'" || c === "`") {
      const end = closeString(expr, i);
      tokens.push({ kind: "string", text: expr.slice(i, end) });
      i = end;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      let j = i + 1;
      while (j < expr.length && expr[j] !== close) j = expr[j] === '"' || expr[j] === "'" || expr[j] === "`" ? closeString(expr, j) : j + 1;
      if (j >= expr.length) throw new Error(`unclosed ${c} in ${expr}`);
      tokens.push({ kind: c === "{" ? "braces" : "brackets", text: expr.slice(i, j + 1) });
      i = j + 1;
    } else if (/[A-Za-z_:]/.test(c)) {
      const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i))!;
      tokens.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else if (/[0-9.]/.test(c)) {
      const m = /^[0-9.][0-9A-Za-z_.+-]*/.exec(expr.slice(i))!;
      // 1e+3 and 5m, but not "5-3": stop a sign unless it follows an exponent
      const text = m[0].replace(/(?<![eE])[+-].*$/, "");
      tokens.push({ kind: "number", text });
      i += text.length;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return tokens;
}

function closeString(expr: string, start: number): number {
  const quote = expr[start];
  let j = start + 1;
  while (j < expr.length && expr[j] !== quote) j += expr[j] === "\\" && quote !== "`" ? 2 : 1;
  if (j >= expr.length) throw new Error(`unclosed string in ${expr}`);
  return j + 1;
}

function matcherLabels(braces: string, expr: string): string[] {
  const inner = braces.slice(1, -1).trim();
  if (inner === "") return [];
  const labels: string[] = [];
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)\s*(,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < inner.length && (m = re.exec(inner))) labels.push(m[1]!);
  if (re.lastIndex !== inner.length) throw new Error(`cannot read the matchers ${braces} in ${expr}`);
  return labels;
}
