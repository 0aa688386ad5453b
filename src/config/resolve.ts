import { UserError } from "../errors.ts";
import { formatDuration, parseDuration } from "../time/duration.ts";
import { isInterval, type Interval } from "../time/intervals.ts";
import { parseTime } from "../time/timestamp.ts";
import type { CsvColumns } from "../candles/csv.ts";
import { isTree, type ConfigTree, type KeyOrigins } from "./files.ts";
import { inShard, type SymbolShard } from "../exchange/symbol-shard.ts";
import { isMarket, MARKET_PROFILES, MARKETS, type Market } from "../exchange/market.ts";
import { DEFAULT_DB_TABLE, parseDbUrl, parseTableName, type DbTarget } from "../db/db-url.ts";
import { parseListenAddress, type ListenAddress } from "../http/listen-address.ts";

export const DEFAULT_WS_URL = MARKET_PROFILES.spot.wsUrl;
export const DEFAULT_REST_URL = MARKET_PROFILES.spot.restUrl;
/** Binance allows 1024 streams on one connection. */
export const MAX_STREAMS = 1024;
/** Streams per connection unless --streams-per-connection says otherwise (ccxt's figure). */
export const DEFAULT_STREAMS_PER_CONNECTION = 200;
/** How often `--symbol all` re-reads exchangeInfo by default. */
export const DEFAULT_SYMBOLS_REFRESH_MS = 3_600_000;

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
  quote?: string;
  exclude?: string;
  symbolsRefresh?: string;
  streamsPerConnection?: string;
  shard?: string;
  market?: string;
  /** "true" / "1" with a flag or the environment. */
  testnet?: string;
  db?: string;
  dbTable?: string;
  listen?: string;
}

/** Which symbols to record: a fixed list, or every TRADING one (`--symbol all`). */
export interface SymbolSelection {
  all: boolean;
  /** With `all`: keep only these quote assets (upper case); undefined = every quote. */
  quote: string[] | undefined;
  /** Never recorded (upper case). */
  exclude: string[];
  /** `--shard K/N`: only the symbols whose hash modulo N is K. */
  shard: SymbolShard | undefined;
}

/** `--db`: the CSVs are replicated into this PostgreSQL table. */
export interface DbConfig {
  target: DbTarget;
  table: string;
}

/** A fully resolved run configuration: nothing optional left to check downstream. */
export interface ResolvedConfig {
  /** The config file read, or undefined for built-in defaults. */
  source: string | undefined;
  /** Binance spot, USDⓈ-M or COIN-M futures: the default hosts, REST paths, limits and intervals. */
  market: Market;
  /** The market's test network (its default hosts). */
  testnet: boolean;
  /** The symbols named (upper case, minus --exclude); empty with `--symbol all` (read from exchangeInfo at start). */
  symbols: string[];
  symbolSelection: SymbolSelection;
  /** exchangeInfo is read again this often (listings, halts). */
  symbolsRefreshMs: number;
  /** Streams on one WebSocket connection (at most MAX_STREAMS). */
  streamsPerConnection: number;
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
  /** Replication into PostgreSQL; undefined without --db. */
  db: DbConfig | undefined;
  /** `--listen`: where /metrics, /healthz and /state are served; undefined = no HTTP server. */
  listen: ListenAddress | undefined;
  warnings: string[];
}

export interface ResolveOptions {
  /** The file each value of the tree was read from (see readConfigFiles). @default every value from `source` */
  origins?: KeyOrigins;
  /** How each override was given, for messages (`RESILIENCE_RESTART_EVERY`). @default its flag (`--restart-every`) */
  overrideNames?: Partial<Record<keyof RunOverrides, string>>;
}

/** Turns a merged config tree plus env/flag overrides into a ResolvedConfig. */
export function resolveConfig(tree: ConfigTree, source: string | undefined, overrides: RunOverrides, options: ResolveOptions = {}): ResolvedConfig {
  const where = source ?? "defaults";
  /** The file that set `path` (an include, say; for a mapping, the file of one of its values), for messages. */
  const at = (path: string) => _origin(options.origins ?? {}, path) ?? where;
  /** How an override was given: its flag unless it came from the environment. */
  const given = (key: keyof RunOverrides, flag: string) => options.overrideNames?.[key] ?? flag;
  const warnings = _unknownKeys(tree, "", at);
  const get = (path: string) => _get(tree, path);
  const str = (path: string) => _string(get(path), path, at(path));
  const dur = (path: string, unit: "s" | "m") => _duration(get(path), path, at(path), unit);

  _exclusive(tree, at, "binance.stream.symbol", "binance.stream.symbols");
  _exclusive(tree, at, "binance.stream.timeframe", "binance.stream.timeframes");
  _exclusive(tree, at, "binance.reconnect.modulo_minutes", "binance.reconnect.every");
  if (get("websocket.reconnect.max_attempts") !== undefined) {
    warnings.push(`${at("websocket.reconnect.max_attempts")}: websocket.reconnect.max_attempts is ignored: resilience reconnects forever`);
  }

  const symbolsAt = options.origins?.["binance.stream.symbols"] ?? at("binance.stream.symbol");
  const timeframesAt = options.origins?.["binance.stream.timeframes"] ?? at("binance.stream.timeframe");
  const symbolsText = overrides.symbol ?? _listOf(get("binance.stream.symbols") ?? get("binance.stream.symbol"), "binance.stream.symbols", symbolsAt) ?? "BTCUSDT";
  const symbolsWhat = overrides.symbol !== undefined ? given("symbol", "--symbol") : `${symbolsAt}: binance.stream.symbols`;
  const all = symbolsText.trim().toLowerCase() === "all";
  const marketWhat = overrides.market !== undefined ? given("market", "--market") : `${at("binance.market")}: binance.market`;
  const market = _market(overrides.market ?? get("binance.market"), marketWhat);
  const testnetWhat = overrides.testnet !== undefined ? given("testnet", "--testnet") : `${at("binance.testnet")}: binance.testnet`;
  const testnet = overrides.testnet !== undefined ? _flag(overrides.testnet, testnetWhat) : (_bool(get("binance.testnet"), "binance.testnet", at("binance.testnet")) ?? false);
  const hosts = testnet ? MARKET_PROFILES[market].testnet : MARKET_PROFILES[market];
  const quote = _optionalList(overrides.quote, given("quote", "--quote"), get("binance.stream.quote"), "binance.stream.quote", at);
  const exclude = _optionalList(overrides.exclude, given("exclude", "--exclude"), get("binance.stream.exclude"), "binance.stream.exclude", at) ?? [];
  if (quote && !all) warnings.push(`${overrides.quote !== undefined ? given("quote", "--quote") : `${at("binance.stream.quote")}: binance.stream.quote`} applies to --symbol all only; the symbols named are recorded whatever their quote`);
  const shardWhat = overrides.shard !== undefined ? given("shard", "--shard") : `${at("binance.stream.shard")}: binance.stream.shard`;
  const shard = _shard(overrides.shard ?? get("binance.stream.shard"), shardWhat);
  const named = all ? [] : _symbols(symbolsText, symbolsWhat).filter((s) => !exclude.includes(s));
  if (!all && named.length === 0) throw new UserError(`${symbolsWhat}: every symbol named is excluded by --exclude; nothing to record`);
  const symbols = inShard(named, shard);
  if (!all && symbols.length === 0) throw new UserError(`${shardWhat}: none of the ${named.length} symbols named falls in shard ${shard!.index}/${shard!.count}; name more symbols or use --symbol all`);
  const intervalsWhat = overrides.interval !== undefined ? given("interval", "--interval") : `${timeframesAt}: binance.stream.timeframes`;
  const intervals = _intervals(overrides.interval ?? _listOf(get("binance.stream.timeframes") ?? get("binance.stream.timeframe"), "binance.stream.timeframes", timeframesAt) ?? "1h", intervalsWhat);
  const unserved = intervals.filter((i) => !MARKET_PROFILES[market].intervals.includes(i));
  if (unserved.length > 0) throw new UserError(`${intervalsWhat}: ${unserved.join(",")} is not served on ${market} (futures have no 1s candles); use 1m or longer, or --market spot`);
  const perConnectionWhat = overrides.streamsPerConnection !== undefined ? given("streamsPerConnection", "--streams-per-connection") : `${at("binance.stream.streams_per_connection")}: binance.stream.streams_per_connection`;
  const streamsPerConnection = _count(overrides.streamsPerConnection ?? get("binance.stream.streams_per_connection"), perConnectionWhat) ?? DEFAULT_STREAMS_PER_CONNECTION;
  if (streamsPerConnection > MAX_STREAMS) throw new UserError(`${perConnectionWhat}: ${streamsPerConnection} streams on one connection; Binance allows at most ${MAX_STREAMS}`);
  const refreshWhat = overrides.symbolsRefresh !== undefined ? given("symbolsRefresh", "--symbols-refresh") : `${at("binance.stream.symbols_refresh")}: binance.stream.symbols_refresh`;
  const symbolsRefreshMs = overrides.symbolsRefresh !== undefined ? parseDuration(overrides.symbolsRefresh, refreshWhat) : (dur("binance.stream.symbols_refresh", "s") ?? DEFAULT_SYMBOLS_REFRESH_MS);
  if (symbolsRefreshMs < 10_000) throw new UserError(`${refreshWhat}: ${formatDuration(symbolsRefreshMs)} is too often (exchangeInfo costs 20 of the REST weight); give 10s or more, e.g. 1h`);

  const { restartEveryMs, restartMarginMs, minConnectionMs } = _restartTiming(get, dur, overrides, at, given("restartEvery", "--restart-every"));
  const staleFlag = given("staleAfter", "--stale-after");
  const staleAfterMs = overrides.staleAfter !== undefined ? parseDuration(overrides.staleAfter, staleFlag) : (dur("resilience.heartbeat.stale_after", "s") ?? 30_000);
  if (staleAfterMs <= 0) {
    throw new UserError(`${overrides.staleAfter !== undefined ? staleFlag : `${at("resilience.heartbeat.stale_after")}: resilience.heartbeat.stale_after`} must be longer than 0 (e.g. 30s)`);
  }

  const columns = str("csv.columns") ?? "basic";
  if (columns !== "basic" && columns !== "full") throw new UserError(`${at("csv.columns")}: csv.columns must be "basic" or "full", not "${columns}"`);
  const stateFile = overrides.state ?? str("resilience.heartbeat.state_file") ?? "state/heartbeat.state.json";

  return {
    source,
    symbols,
    symbolSelection: { all, quote, exclude, shard },
    symbolsRefreshMs,
    streamsPerConnection,
    intervals,
    market,
    testnet,
    wsUrl: _url(overrides.wsUrl ?? str("binance.ws_url") ?? hosts.wsUrl, overrides.wsUrl !== undefined ? given("wsUrl", "--ws-url") : `${at("binance.ws_url")}: binance.ws_url`, ["ws:", "wss:"]),
    restUrl: _url(overrides.restUrl ?? str("binance.rest_url") ?? hosts.restUrl, overrides.restUrl !== undefined ? given("restUrl", "--rest-url") : `${at("binance.rest_url")}: binance.rest_url`, ["http:", "https:"]),
    restartEveryMs,
    restartMarginMs,
    minConnectionMs,
    staleAfterMs,
    since: overrides.since !== undefined ? parseTime(overrides.since, given("since", "--since")) : undefined,
    outDir: overrides.out ?? str("csv.dir") ?? ".",
    stateFile,
    heartbeatIntervalMs: dur("resilience.heartbeat.interval", "s") ?? 5000,
    columns,
    reconnectBaseMs: dur("websocket.reconnect.delay", "s") ?? 500,
    reconnectMaxMs: dur("websocket.reconnect.max_delay", "s") ?? 30_000,
    environment: str("binance.environment") ?? "mainnet",
    credentials: _credentials(get("credentials"), at),
    alerts: {
      minIntervalMs: dur("alerts.min_interval", "s") ?? 60_000,
      escalateAfterMs: dur("alerts.escalate_after", "s") ?? 300_000,
      proactive: _bool(get("alerts.proactive"), "alerts.proactive", at("alerts.proactive")) ?? true,
    },
    watchdog: {
      stateFile: str("resilience.watchdog.state_file") ?? stateFile,
      cycleIntervalMs: dur("resilience.watchdog.cycle_interval", "s") ?? 10_000,
      maxAgeMs: dur("resilience.watchdog.max_heartbeat_age", "s") ?? 30_000,
    },
    db: _db(overrides, get, at, given),
    listen: _listen(overrides.listen ?? get("http.listen"), overrides.listen !== undefined ? given("listen", "--listen") : `${at("http.listen")}: http.listen`),
    warnings,
  };
}

// --- internal ---

/** `--db URL` / `db.url` (maybe from a sops file) and `--db-table` / `db.table`. */
function _db(overrides: RunOverrides, get: (path: string) => unknown, at: (path: string) => string, given: (key: keyof RunOverrides, flag: string) => string): DbConfig | undefined {
  const urlWhat = overrides.db !== undefined ? given("db", "--db") : `${at("db.url")}: db.url`;
  const url = overrides.db ?? get("db.url");
  const tableWhat = overrides.dbTable !== undefined ? given("dbTable", "--db-table") : `${at("db.table")}: db.table`;
  const table = overrides.dbTable ?? get("db.table");
  if (url === undefined) {
    if (table !== undefined) throw new UserError(`${tableWhat} is set without --db; give the database too, e.g. --db postgres://user@host/dbname`);
    return undefined;
  }
  if (typeof url !== "string" || url.trim() === "") throw new UserError(`${urlWhat} must be a non-empty string, e.g. postgres://user@host/dbname`);
  if (url.startsWith("ENC[")) throw new UserError(`${urlWhat} is still encrypted; the sops file was not decrypted`);
  if (table !== undefined && typeof table !== "string") throw new UserError(`${tableWhat} must be a table name, e.g. candles`);
  return { target: parseDbUrl(url, urlWhat), table: table === undefined ? DEFAULT_DB_TABLE : parseTableName(table, tableWhat) };
}

/** `--listen` / `http.listen`: off when unset. */
function _listen(value: unknown, what: string): ListenAddress | undefined {
  return value === undefined ? undefined : parseListenAddress(value, what);
}

/** `spot`, `usdm` or `coinm`. */
function _market(value: unknown, what: string): Market {
  if (value === undefined) return "spot";
  const text = String(value).trim().toLowerCase();
  if (!isMarket(text)) throw new UserError(`${what}: "${String(value)}" is not a market; use one of ${MARKETS.join(", ")}`);
  return text;
}

/** A boolean flag or environment value: true/1/yes or false/0/no. */
function _flag(value: string, what: string): boolean {
  const text = value.trim().toLowerCase();
  if (["true", "1", "yes"].includes(text)) return true;
  if (["false", "0", "no"].includes(text)) return false;
  throw new UserError(`${what}: "${value}" is not true or false`);
}

/** `K/N` with 0 <= K < N. */
function _shard(value: unknown, what: string): SymbolShard | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(String(value));
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || count < 1 || index >= count) throw new UserError(`${what}: "${String(value)}" is not a shard; give K/N with 0 <= K < N, e.g. 0/2 and 1/2 for two hosts`);
  return { index, count };
}

const RESTART_EVERY_DEFAULT_MS = 4 * 3_600_000;
const MARGIN_MAX_MS = 5000;
const MIN_CONNECTION_MAX_MS = 60_000;

/**
 * The restart period and the two values tied to it. Unset, margin and minimum age follow
 * the period (a quarter, at most 5 s; half, at most 60 s). Set explicitly, each must be
 * shorter than the period: a margin that is not would open the new connection before the
 * previous boundary, a minimum age that is not would skip every proactive restart.
 */
function _restartTiming(
  get: (key: string) => unknown,
  dur: (key: string, unit: "s" | "m") => number | undefined,
  overrides: RunOverrides,
  originOf: (key: string) => string,
  flag: string,
): { restartEveryMs: number; restartMarginMs: number; minConnectionMs: number } {
  const periodKey = get("binance.reconnect.every") !== undefined ? "binance.reconnect.every" : get("binance.reconnect.modulo_minutes") !== undefined ? "binance.reconnect.modulo_minutes" : undefined;
  const restartEveryMs =
    overrides.restartEvery !== undefined
      ? parseDuration(overrides.restartEvery, flag)
      : periodKey
        ? dur(periodKey, periodKey.endsWith("minutes") ? "m" : "s")!
        : RESTART_EVERY_DEFAULT_MS;
  const restartMarginMs = dur("binance.reconnect.margin_seconds", "s") ?? Math.min(MARGIN_MAX_MS, restartEveryMs / 4);
  const minConnectionMs = dur("binance.reconnect.min_connection_duration", "s") ?? Math.min(MIN_CONNECTION_MAX_MS, restartEveryMs / 2);
  if (restartEveryMs <= 0) return { restartEveryMs, restartMarginMs, minConnectionMs };

  // Where the period came from, and how to lengthen it, as seen from the file of `key`.
  const periodFrom = (file: string) =>
    overrides.restartEvery !== undefined ? [`from ${flag}`, `use a longer ${flag}, `]
    : periodKey === undefined ? ["by default", ""]
    : [`from ${periodKey} in ${originOf(periodKey) === file ? "the same file" : originOf(periodKey)}`, `raise ${periodKey}, `];
  const conflict = (key: string, ms: number, why: string, fallback: string) => {
    const file = originOf(key);
    const [from, lengthen] = periodFrom(file);
    return new UserError(`${file}: ${key} (${formatDuration(ms)}) must be shorter than the restart period (${formatDuration(restartEveryMs)} ${from})${why}; lower it, ${lengthen}or remove it to use the default (${fallback})`);
  };
  if (restartMarginMs >= restartEveryMs) {
    throw conflict("binance.reconnect.margin_seconds", restartMarginMs, "", "a quarter of the period, at most 5s");
  }
  if (minConnectionMs >= restartEveryMs) {
    throw conflict("binance.reconnect.min_connection_duration", minConnectionMs, ", or every proactive restart is skipped", "half the period, at most 60s");
  }
  return { restartEveryMs, restartMarginMs, minConnectionMs };
}

/** Every key we read, plus kstlib keys we accept and do not need (logger, ops, ping...). */
const KNOWN_KEYS = new Set([
  "binance.environment", "binance.ws_url", "binance.rest_url",
  "binance.stream.symbol", "binance.stream.symbols", "binance.stream.timeframe", "binance.stream.timeframes", "binance.stream.type",
  "binance.stream.quote", "binance.stream.exclude", "binance.stream.symbols_refresh", "binance.stream.streams_per_connection",
  "binance.reconnect.modulo_minutes", "binance.reconnect.margin_seconds", "binance.reconnect.min_connection_duration", "binance.reconnect.every",
  "resilience.heartbeat.interval", "resilience.heartbeat.state_file", "resilience.heartbeat.stale_after",
  "resilience.watchdog.state_file", "resilience.watchdog.cycle_interval", "resilience.watchdog.max_heartbeat_age",
  "websocket.ping.interval", "websocket.ping.timeout", "websocket.connection.timeout",
  "websocket.reconnect.delay", "websocket.reconnect.max_delay", "websocket.reconnect.max_attempts",
  "websocket.proactive.disconnect_check_interval", "websocket.proactive.reconnect_check_interval",
  "csv.dir", "csv.columns", "db.url", "db.table", "binance.stream.shard", "binance.market", "binance.testnet",
  "alerts.min_interval", "alerts.escalate_after", "alerts.proactive", "http.listen",
]);
/** Subtrees taken whole: credentials (sops_*), and kstlib's own sections we do not use. */
const OPAQUE_PREFIXES = ["credentials", "logger", "ops"];

function _unknownKeys(tree: ConfigTree, prefix: string, at: (path: string) => string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (OPAQUE_PREFIXES.includes(path) || KNOWN_KEYS.has(path)) continue;
    const section = [...KNOWN_KEYS].some((k) => k.startsWith(`${path}.`));
    // `heartbeat:` with every key commented out, as in the example, is an empty section.
    if (section && value === null) continue;
    if (section && isTree(value)) out.push(..._unknownKeys(value, path, at));
    else out.push(`${at(path)}: unknown key ${path} is ignored; check its spelling against config/resilience.yml`);
  }
  return out;
}

function _origin(origins: KeyOrigins, path: string): string | undefined {
  return origins[path] ?? Object.entries(origins).find(([key]) => key.startsWith(`${path}.`))?.[1];
}

function _get(tree: ConfigTree, path: string): unknown {
  let node: unknown = tree;
  for (const part of path.split(".")) {
    if (!isTree(node)) return undefined;
    node = node[part];
  }
  return node ?? undefined;
}

function _exclusive(tree: ConfigTree, at: (path: string) => string, a: string, b: string): void {
  if (_get(tree, a) !== undefined && _get(tree, b) !== undefined) {
    const where = at(a) === at(b) ? at(a) : `${at(a)} and ${at(b)}`;
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

/** An optional list of asset or symbol names (upper case), from an override or a config key. */
function _optionalList(override: string | undefined, flag: string, value: unknown, path: string, at: (path: string) => string): string[] | undefined {
  const text = override ?? _listOf(value, path, at(path));
  if (text === undefined) return undefined;
  return _symbols(text, override !== undefined ? flag : `${at(path)}: ${path}`);
}

/** A whole number of at least 1, from a flag (string) or a config value. */
function _count(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1) throw new UserError(`${what}: "${String(value)}" is not a whole number of 1 or more; give e.g. 200`);
  return Number(text);
}

function _symbols(text: string, what: string): string[] {
  const symbols = _split(text, what).map((s) => {
    const up = s.toUpperCase();
    if (!/^[A-Z0-9][A-Z0-9_]{1,29}$/.test(up)) throw new UserError(`${what}: "${s}" is not a Binance symbol (letters, digits and _, e.g. BTCUSDT or BTCUSD_PERP)`);
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

function _credentials(value: unknown, at: (path: string) => string): Record<string, string> {
  if (value === undefined) return {};
  if (!isTree(value)) throw new UserError(`${at("credentials")}: credentials must be a mapping of names to webhook URLs`);
  const out: Record<string, string> = {};
  for (const [key, url] of Object.entries(value)) {
    // A Telegram chat id written unquoted (`telegram_chat_id: -1001234567890`) is read as a number.
    if (typeof url === "number" && Number.isSafeInteger(url)) {
      out[key] = String(url);
      continue;
    }
    if (typeof url !== "string") throw new UserError(`${at(`credentials.${key}`)}: credentials.${key} must be a string`);
    if (url.startsWith("ENC[")) throw new UserError(`${at(`credentials.${key}`)}: credentials.${key} is still encrypted; the sops file was not decrypted`);
    out[key] = url;
  }
  return out;
}
