import { UserError } from "../errors.ts";
import { parseDuration } from "../time/duration.ts";
import { isInterval, type Interval } from "../time/intervals.ts";
import { parseTime } from "../time/timestamp.ts";
import type { CsvColumns } from "../candles/csv.ts";
import { isTree, type ConfigTree } from "./files.ts";

export const DEFAULT_WS_URL = "wss://stream.binance.com:9443";
export const DEFAULT_REST_URL = "https://api.binance.com";
/** Binance allows 1024 streams on one connection. */
export const MAX_STREAMS = 1024;

/** What the user may override from the environment or flags (strings, as typed). */
export interface RunOverrides {
  symbol?: string;
  interval?: string;
  wsUrl?: string;
  restUrl?: string;
  restartEvery?: string;
  staleAfter?: string;
  since?: string;
  out?: string;
  state?: string;
}

/** A fully resolved run configuration: nothing optional left to check downstream. */
export interface ResolvedConfig {
  /** The config file read, or undefined for built-in defaults. */
  source: string | undefined;
  symbols: string[];
  intervals: Interval[];
  wsUrl: string;
  restUrl: string;
  /** 0 = no proactive restart. */
  restartEveryMs: number;
  /** Open the new connection this long before the boundary. */
  restartMarginMs: number;
  /** Skip a proactive restart of a connection younger than this. */
  minConnectionMs: number;
  staleAfterMs: number;
  since: number | undefined;
  outDir: string;
  stateFile: string;
  heartbeatIntervalMs: number;
  columns: CsvColumns;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  environment: string;
  /** Webhook URLs by credential key (sops_hb, sops_wd, sops_mainnet, ...). Secret. */
  credentials: Record<string, string>;
  alerts: { minIntervalMs: number; escalateAfterMs: number; proactive: boolean };
  watchdog: { stateFile: string; cycleIntervalMs: number; maxAgeMs: number };
  warnings: string[];
}

/** Turns a merged config tree plus env/flag overrides into a ResolvedConfig. */
export function resolveConfig(tree: ConfigTree, source: string | undefined, overrides: RunOverrides, now = Date.now()): ResolvedConfig {
  const where = source ?? "defaults";
  const warnings = _unknownKeys(tree, "", where);
  const get = (path: string) => _get(tree, path);
  const str = (path: string) => _string(get(path), path, where);
  const dur = (path: string, unit: "s" | "m") => _duration(get(path), path, where, unit);

  _exclusive(tree, where, "binance.stream.symbol", "binance.stream.symbols");
  _exclusive(tree, where, "binance.stream.timeframe", "binance.stream.timeframes");
  _exclusive(tree, where, "binance.reconnect.modulo_minutes", "binance.reconnect.every");
  if (get("websocket.reconnect.max_attempts") !== undefined) {
    warnings.push(`${where}: websocket.reconnect.max_attempts is ignored: resilience reconnects forever`);
  }

  const symbols = _symbols(overrides.symbol ?? _listOf(get("binance.stream.symbols") ?? get("binance.stream.symbol"), "binance.stream.symbols", where) ?? "BTCUSDT", overrides.symbol !== undefined ? "--symbol" : `${where}: binance.stream.symbols`);
  const intervals = _intervals(overrides.interval ?? _listOf(get("binance.stream.timeframes") ?? get("binance.stream.timeframe"), "binance.stream.timeframes", where) ?? "1h", overrides.interval !== undefined ? "--interval" : `${where}: binance.stream.timeframes`);
  if (symbols.length * intervals.length > MAX_STREAMS) {
    throw new UserError(`${symbols.length * intervals.length} streams asked; Binance allows at most ${MAX_STREAMS} on one connection`);
  }

  const restartEveryMs =
    overrides.restartEvery !== undefined
      ? parseDuration(overrides.restartEvery, "--restart-every")
      : (dur("binance.reconnect.every", "s") ?? dur("binance.reconnect.modulo_minutes", "m") ?? 4 * 3_600_000);
  const restartMarginMs = dur("binance.reconnect.margin_seconds", "s") ?? Math.min(5000, restartEveryMs / 4);
  const minConnectionMs = dur("binance.reconnect.min_connection_duration", "s") ?? Math.min(60_000, restartEveryMs / 2);
  if (restartEveryMs > 0 && restartMarginMs >= restartEveryMs) {
    throw new UserError(`${where}: binance.reconnect.margin_seconds must be shorter than the restart period`);
  }
  const staleAfterMs = overrides.staleAfter !== undefined ? parseDuration(overrides.staleAfter, "--stale-after") : (dur("resilience.heartbeat.stale_after", "s") ?? 30_000);
  if (staleAfterMs <= 0) throw new UserError(`--stale-after must be longer than 0 (e.g. 30s)`);

  const columns = str("csv.columns") ?? "basic";
  if (columns !== "basic" && columns !== "full") throw new UserError(`${where}: csv.columns must be "basic" or "full", not "${columns}"`);
  const stateFile = overrides.state ?? str("resilience.heartbeat.state_file") ?? "state/heartbeat.state.json";

  return {
    source,
    symbols,
    intervals,
    wsUrl: _url(overrides.wsUrl ?? str("binance.ws_url") ?? DEFAULT_WS_URL, overrides.wsUrl !== undefined ? "--ws-url" : `${where}: binance.ws_url`, ["ws:", "wss:"]),
    restUrl: _url(overrides.restUrl ?? str("binance.rest_url") ?? DEFAULT_REST_URL, overrides.restUrl !== undefined ? "--rest-url" : `${where}: binance.rest_url`, ["http:", "https:"]),
    restartEveryMs,
    restartMarginMs,
    minConnectionMs,
    staleAfterMs,
    since: overrides.since !== undefined ? parseTime(overrides.since, "--since") : undefined,
    outDir: overrides.out ?? str("csv.dir") ?? ".",
    stateFile,
    heartbeatIntervalMs: dur("resilience.heartbeat.interval", "s") ?? 5000,
    columns,
    reconnectBaseMs: dur("websocket.reconnect.delay", "s") ?? 500,
    reconnectMaxMs: dur("websocket.reconnect.max_delay", "s") ?? 30_000,
    environment: str("binance.environment") ?? "mainnet",
    credentials: _credentials(get("credentials"), where),
    alerts: {
      minIntervalMs: dur("alerts.min_interval", "s") ?? 60_000,
      escalateAfterMs: dur("alerts.escalate_after", "s") ?? 300_000,
      proactive: _bool(get("alerts.proactive"), "alerts.proactive", where) ?? true,
    },
    watchdog: {
      stateFile: str("resilience.watchdog.state_file") ?? stateFile,
      cycleIntervalMs: dur("resilience.watchdog.cycle_interval", "s") ?? 10_000,
      maxAgeMs: dur("resilience.watchdog.max_heartbeat_age", "s") ?? 30_000,
    },
    warnings,
  };
}

// --- internal ---

/** Every key we read, plus kstlib keys we accept and do not need (logger, ops, ping...). */
const KNOWN_KEYS = new Set([
  "binance.environment", "binance.ws_url", "binance.rest_url",
  "binance.stream.symbol", "binance.stream.symbols", "binance.stream.timeframe", "binance.stream.timeframes", "binance.stream.type",
  "binance.reconnect.modulo_minutes", "binance.reconnect.margin_seconds", "binance.reconnect.min_connection_duration", "binance.reconnect.every",
  "resilience.heartbeat.interval", "resilience.heartbeat.state_file", "resilience.heartbeat.stale_after",
  "resilience.watchdog.state_file", "resilience.watchdog.cycle_interval", "resilience.watchdog.max_heartbeat_age",
  "websocket.ping.interval", "websocket.ping.timeout", "websocket.connection.timeout",
  "websocket.reconnect.delay", "websocket.reconnect.max_delay", "websocket.reconnect.max_attempts",
  "websocket.proactive.disconnect_check_interval", "websocket.proactive.reconnect_check_interval",
  "csv.dir", "csv.columns",
  "alerts.min_interval", "alerts.escalate_after", "alerts.proactive",
]);
/** Subtrees taken whole: credentials (sops_*), and kstlib's own sections we do not use. */
const OPAQUE_PREFIXES = ["credentials", "logger", "ops"];

function _unknownKeys(tree: ConfigTree, prefix: string, where: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (OPAQUE_PREFIXES.includes(path) || KNOWN_KEYS.has(path)) continue;
    if (isTree(value) && [...KNOWN_KEYS].some((k) => k.startsWith(`${path}.`))) out.push(..._unknownKeys(value, path, where));
    else out.push(`${where}: unknown key ${path} is ignored; check its spelling against config/resilience.yml`);
  }
  return out;
}

function _get(tree: ConfigTree, path: string): unknown {
  let node: unknown = tree;
  for (const part of path.split(".")) {
    if (!isTree(node)) return undefined;
    node = node[part];
  }
  return node ?? undefined;
}

function _exclusive(tree: ConfigTree, where: string, a: string, b: string): void {
  if (_get(tree, a) !== undefined && _get(tree, b) !== undefined) {
    throw new UserError(`${where}: both ${a} and ${b} are set; keep only one`);
  }
}

function _string(value: unknown, path: string, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw new UserError(`${where}: ${path} must be a non-empty string`);
  return value.trim();
}

function _bool(value: unknown, path: string, where: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new UserError(`${where}: ${path} must be true or false`);
  return value;
}

function _duration(value: unknown, path: string, where: string, unit: "s" | "m"): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" && typeof value !== "number") throw new UserError(`${where}: ${path} must be a duration (e.g. 30s, 4h) or a number of ${unit === "m" ? "minutes" : "seconds"}`);
  return parseDuration(value, `${where}: ${path}`, unit);
}

function _listOf(value: unknown, path: string, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) return value.join(",");
  throw new UserError(`${where}: ${path} must be a name or a non-empty list of names`);
}

function _split(text: string, what: string): string[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UserError(`${what}: empty list; give values separated by commas`);
  return [...new Set(items)];
}

function _symbols(text: string, what: string): string[] {
  const symbols = _split(text, what).map((s) => {
    const up = s.toUpperCase();
    if (!/^[A-Z0-9]{2,20}$/.test(up)) throw new UserError(`${what}: "${s}" is not a Binance symbol (letters and digits, e.g. BTCUSDT)`);
    return up;
  });
  // btcusdt and BTCUSDT are one stream: one CSV, one writer.
  return [...new Set(symbols)];
}

function _intervals(text: string, what: string): Interval[] {
  return _split(text, what).map((s) => {
    if (!isInterval(s)) throw new UserError(`${what}: "${s}" is not a Binance interval; use one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M`);
    return s;
  });
}

function _url(text: string, what: string, schemes: string[]): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`${what}: "${text}" is not a URL; expected e.g. ${schemes[0]}//host:port`);
  }
  if (!schemes.includes(url.protocol)) throw new UserError(`${what}: "${text}" must start with ${schemes.map((s) => `${s}//`).join(" or ")}`);
  return text.replace(/\/+$/, "");
}

function _credentials(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isTree(value)) throw new UserError(`${where}: credentials must be a mapping of names to webhook URLs`);
  const out: Record<string, string> = {};
  for (const [key, url] of Object.entries(value)) {
    if (typeof url !== "string") throw new UserError(`${where}: credentials.${key} must be a string`);
    if (url.startsWith("ENC[")) throw new UserError(`${where}: credentials.${key} is still encrypted; the sops file was not decrypted`);
    out[key] = url;
  }
  return out;
}
