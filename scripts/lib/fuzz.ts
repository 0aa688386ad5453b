import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCandleAudit } from "../../src/candles/audit.ts";
import { loadConfig } from "../../src/config/load.ts";
import { UserError } from "../../src/errors.ts";
import { parseKlineRows } from "../../src/exchange/rest-klines.ts";
import { parseStreamMessage } from "../../src/stream/binance.ts";
import { isAligned, isInterval, nextOpenTime } from "../../src/time/intervals.ts";
import { configFile, csvFile, restBody, streamMessage } from "./fuzz-inputs.ts";
import { createRandom, type Random } from "./random.ts";

export interface FuzzOptions {
  /** Stream messages and REST bodies each; CSV and config files get a tenth. */
  iterations: number;
  seed?: number;
}

export type FuzzTarget = "stream message" | "REST body" | "CSV file" | "config file";

export interface FuzzFinding {
  target: FuzzTarget;
  /** `crash`: threw what it must not; `unclear`: an error message that is not one clear line; `hang`: one input took over 2 s; `bad output`: accepted something invalid (a closed candle with a value that is not a decimal string, an update whose close is not). */
  kind: "crash" | "unclear" | "hang" | "bad output";
  /** For `unclear`: a message longer than 1,000 characters, a warning printed on stderr, or anything else. */
  cause?: "long message" | "runtime warning" | "other";
  detail: string;
  input: string;
}

export interface FuzzResult {
  cases: Record<FuzzTarget, number>;
  /** Inputs rejected with a clear error (UserError or a malformed-answer error). */
  rejected: Record<FuzzTarget, number>;
  findings: FuzzFinding[];
  /** Accepted klines whose open time is off the interval grid or whose close time is not the next open - 1. */
  implausible: number;
  slowestMs: number;
}

const ROOT = join(import.meta.dir, "../..");
const HANG_MS = 2000;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Feeds random and mutated inputs to the four readers of outside data: the stream
 * message parser, the REST klines reader, the candle-file audit (in random chunk splits,
 * which must not change its report) and the config loader. None may throw anything but
 * its documented error, every error must be one clear line, and nothing may hang.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const random = createRandom(options.seed ?? 1);
  const result: FuzzResult = {
    cases: { "stream message": 0, "REST body": 0, "CSV file": 0, "config file": 0 },
    rejected: { "stream message": 0, "REST body": 0, "CSV file": 0, "config file": 0 },
    findings: [],
    implausible: 0,
    slowestMs: 0,
  };
  const find = (f: FuzzFinding) => result.findings.length < 1000 && result.findings.push({ ...f, detail: f.detail.slice(0, 300), input: f.input.slice(0, 300) });
  const timed = async <T>(target: FuzzTarget, input: string, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const ms = performance.now() - t0;
      result.slowestMs = Math.max(result.slowestMs, ms);
      if (ms > HANG_MS) find({ target, kind: "hang", detail: `${Math.round(ms)} ms`, input });
    }
  };

  for (let i = 0; i < options.iterations; i++) {
    const text = streamMessage(random);
    result.cases["stream message"]++;
    try {
      const msg = await timed("stream message", text, () => parseStreamMessage(text));
      if (msg.type === "invalid") result.rejected["stream message"]++;
      const bad = _badMessage(msg);
      if (bad) find({ target: "stream message", kind: "bad output", detail: bad, input: text });
      if (msg.type === "kline" && (!isAligned(msg.candle.interval, msg.candle.openTime) || msg.candle.closeTime !== nextOpenTime(msg.candle.interval, msg.candle.openTime) - 1)) result.implausible++;
    } catch (err) {
      find({ target: "stream message", kind: "crash", detail: String(err), input: text });
    }

    const body = restBody(random);
    result.cases["REST body"]++;
    const bodyText = JSON.stringify(body) ?? String(body);
    try {
      const candles = await timed("REST body", bodyText, () => parseKlineRows(body, "BTCUSDT", "1m"));
      const bad = candles.map((c) => _badCandle(c)).find(Boolean);
      if (bad) find({ target: "REST body", kind: "bad output", detail: bad, input: bodyText });
    } catch (err) {
      // Its documented failure: an Error (MalformedResponse) with a one-line message.
      if (err instanceof TypeError || err instanceof RangeError || !(err instanceof Error)) find({ target: "REST body", kind: "crash", detail: String(err), input: bodyText });
      else if (!_clear(err.message)) find({ target: "REST body", kind: "unclear", cause: _cause(err.message), detail: err.message, input: bodyText });
      else result.rejected["REST body"]++;
    }

    if (i % 10 !== 0) continue;
    await _csvCase(random, result, find, timed);
    await _configCase(random, result, find, timed);
  }
  return result;
}

/** One line of figures. */
export function formatFuzz(r: FuzzResult): string {
  const plural: Record<FuzzTarget, string> = { "stream message": "stream messages", "REST body": "REST bodies", "CSV file": "CSV files", "config file": "config files" };
  const each = (Object.keys(r.cases) as FuzzTarget[]).map((t) => `${r.cases[t]} ${plural[t]} (${r.rejected[t]} rejected)`).join(", ");
  const count = (kind: FuzzFinding["kind"], cause?: FuzzFinding["cause"]) => r.findings.filter((f) => f.kind === kind && (cause === undefined || f.cause === cause)).length;
  const unclear = `${count("unclear")} unclear errors (${count("unclear", "long message")} over 1,000 characters, ${count("unclear", "runtime warning")} runtime warnings on stderr)`;
  const kinds = `${count("crash")} crashes, ${count("hang")} hangs, ${count("bad output")} bad outputs, ${unclear}`;
  return `fuzz: ${each}; ${kinds}; slowest input ${r.slowestMs.toFixed(0)} ms; ${r.implausible} accepted klines off the interval grid`;
}

// --- internal ---

type Find = (f: FuzzFinding) => void;
type Timed = <T>(target: FuzzTarget, input: string, fn: () => T | Promise<T>) => Promise<T>;

async function _csvCase(random: Random, result: FuzzResult, find: Find, timed: Timed): Promise<void> {
  const { text, interval } = csvFile(random);
  const bytes = new TextEncoder().encode(text);
  result.cases["CSV file"]++;
  const audit = (split: boolean) => {
    const a = createCandleAudit({ interval, source: "fuzz.csv", now: Date.UTC(2030, 0, 1) });
    if (!split) a.push(bytes);
    else for (let at = 0; at < bytes.length; ) {
      const n = random.int(1, 64);
      a.push(bytes.subarray(at, at + n));
      at += n;
    }
    return a.end();
  };
  try {
    const whole = await timed("CSV file", text, () => audit(false));
    const pieces = audit(true);
    if (JSON.stringify(whole) !== JSON.stringify(pieces)) find({ target: "CSV file", kind: "bad output", detail: "the report depends on how the bytes are split into chunks", input: text });
  } catch (err) {
    if (!(err instanceof UserError)) find({ target: "CSV file", kind: "crash", detail: String(err), input: text });
    else if (!_clear(err.message)) find({ target: "CSV file", kind: "unclear", cause: _cause(err.message), detail: err.message, input: text });
    else result.rejected["CSV file"]++;
  }
}

let configDir: string | undefined;
async function _configCase(random: Random, result: FuzzResult, find: Find, timed: Timed): Promise<void> {
  configDir ??= mkdtempSync(join(tmpdir(), "fuzz-config-"));
  const text = configFile(random, ROOT);
  const path = join(configDir, "fuzz.yml");
  writeFileSync(path, text);
  result.cases["config file"]++;
  // A library warning would reach the user's terminal as a multi-line Node-style block.
  const emitWarning = process.emitWarning;
  const warnings: string[] = [];
  process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning).split("\n")[0]!)) as typeof process.emitWarning;
  try {
    await timed("config file", text, () => loadConfig({ configPath: path, env: {}, flags: {} }));
  } catch (err) {
    if (!(err instanceof UserError)) find({ target: "config file", kind: "crash", detail: String(err), input: text });
    else if (!_clear(err.message)) find({ target: "config file", kind: "unclear", cause: _cause(err.message), detail: err.message, input: text });
    else result.rejected["config file"]++;
  } finally {
    process.emitWarning = emitWarning;
  }
  if (warnings.length > 0) find({ target: "config file", kind: "unclear", cause: "runtime warning", detail: `printed on stderr: ${warnings[0]}`, input: text });
}

process.on("exit", () => configDir && rmSync(configDir, { recursive: true, force: true }));

function _cause(message: string): "long message" | "other" {
  return _clear(message.slice(0, MAX_MESSAGE)) && message.length > MAX_MESSAGE ? "long message" : "other";
}

/** A user error quotes what it refuses, but no wall of text: one line, at most this long. */
const MAX_MESSAGE = 1000;

/** One line, not empty, no leaked internals, not a wall of text. */
function _clear(message: string): boolean {
  return message.trim().length > 0 && !/[\u0000-\u001f]/.test(message) && message.length <= MAX_MESSAGE && !/\[object Object\]|\bundefined\b/.test(message);
}

function _badMessage(msg: ReturnType<typeof parseStreamMessage>): string | undefined {
  switch (msg.type) {
    case "kline":
      // An in-progress update is only shown, never written: only its close is checked.
      return msg.closed ? _badCandle(msg.candle) : _badCandle({ ...msg.candle, open: "0", high: "0", low: "0", volume: "0" }) ?? (typeof msg.candle.open === "string" ? undefined : "an update with a value that is not a string");
    case "invalid":
      return msg.reason.length > 0 ? undefined : "an invalid message without a reason";
    case "shutdown":
    case "reply":
    case "other":
      return undefined;
    default:
      return `unknown message type ${(msg as { type: unknown }).type}`;
  }
}

function _badCandle(c: { symbol: string; interval: string; openTime: number; closeTime: number; open: string; high: string; low: string; close: string; volume: string }): string | undefined {
  if (!Number.isSafeInteger(c.openTime) || !Number.isSafeInteger(c.closeTime)) return "a candle with times that are not integers";
  if (!isInterval(c.interval)) return `a candle with interval ${c.interval}`;
  if (typeof c.symbol !== "string" || c.symbol.length === 0) return "a candle without a symbol";
  for (const d of [c.open, c.high, c.low, c.close, c.volume]) if (typeof d !== "string" || !DECIMAL.test(d)) return `a candle with value ${JSON.stringify(d)}`;
  return undefined;
}
