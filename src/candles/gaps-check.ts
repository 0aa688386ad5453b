import { closeSync } from "node:fs";
import { systemClock, type Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import { fetchClosedKlines, RestUnavailableError } from "../exchange/rest-klines.ts";
import { createRestBudget, type RestBudget } from "../exchange/rest-budget.ts";
import { isInterval, INTERVALS, type Interval } from "../time/intervals.ts";
import { parseTime } from "../time/timestamp.ts";
import type { AuditReport } from "./audit.ts";
import { auditFile, marketFromName, openCandleFile, symbolFromName, type AuditFileOptions } from "./audit-file.ts";
import { isMarket, MARKET_PROFILES, MARKETS, type Market } from "../exchange/market.ts";
import { readConflicts, type ConflictRecord } from "./conflict-log.ts";
import { checkLastRow, type LastRowCheck } from "./last-row-check.ts";
import { acquireLock } from "./lock.ts";
import { repairFile, type RepairResult } from "./repair.ts";
import { applyExchangeAnswer, askExchange, type KlineFetcher } from "./verify-gaps.ts";

export const DEFAULT_REST_URL = "https://api.binance.com";
/** A one-off check gives up on an unreachable exchange instead of retrying forever. */
const REST_MAX_ATTEMPTS = 5;

export interface GapsOptions {
  interval?: Interval;
  symbol?: string;
  /** Expected coverage, inclusive, epoch ms. */
  since?: number;
  until?: number;
  /** Ask the exchange whether each missing candle exists: gap kind `lost` or `exchange`. */
  verify: boolean;
  /** Fetch the missing candles and rewrite the file (temp + rename, original kept as .bak). */
  fill: boolean;
  /** --rest-url; undefined = the default host of each file's market. */
  restUrl: string | undefined;
  /** --market; undefined = each file's, from its name (`candles_usdm_…` is usdm; ours without one, the seed's and dumps: spot). */
  market?: Market;
  /** @default systemClock */
  clock?: Clock;
  /** For tests. @default fetch */
  fetch?: typeof fetch;
  /** One REST weight budget for every file checked (a 429 pauses them all). */
  budget?: RestBudget;
}

/** The flags of `resilience gaps`, as citty hands them over. */
export interface GapsArgs {
  interval?: string;
  symbol?: string;
  since?: string;
  until?: string;
  verify?: boolean;
  fill?: boolean;
  restUrl?: string;
  market?: string;
}

export interface FileCheck {
  /** The file's path, or a label for another source (`gaps --db`: the database and stream). */
  file: string;
  /** What the findings' `line` counts: lines of the file, or rows in open-time order (a table). @default "line" */
  position?: "line" | "row";
  /** The file's audit; after a fill, the audit of the repaired file. */
  report: AuditReport;
  /** What --fill did: null when there was nothing it could change. */
  repair?: RepairResult | null;
  /** With --verify: the last row against the exchange (undefined: not checkable, e.g. a Binance dump). */
  lastRow?: LastRowCheck;
  /** With --verify: rows the recorder took out of this file because the exchange disagreed. */
  conflictLog?: ConflictRecord[];
}

/** Validates the flags into options; every mistake is one UserError line. */
export function resolveGapsOptions(args: GapsArgs, clock: Clock = systemClock): GapsOptions {
  if (args.interval !== undefined && !isInterval(args.interval)) {
    throw new UserError(`--interval: "${args.interval}" is not a Binance interval; use one of ${INTERVALS.join(", ")}`);
  }
  const symbol = args.symbol?.trim().toUpperCase();
  if (symbol !== undefined && !/^[A-Z0-9][A-Z0-9_]{1,29}$/.test(symbol)) throw new UserError(`--symbol: "${args.symbol}" is not a symbol; write it like BTCUSDT or BTCUSD_PERP`);
  const now = clock.now();
  const since = args.since === undefined ? undefined : parseTime(args.since, "--since", now);
  const until = args.until === undefined ? undefined : parseTime(args.until, "--until", now);
  if (since !== undefined && until !== undefined && since > until) throw new UserError("--since is after --until; swap them");
  const restUrl = args.restUrl;
  if (restUrl !== undefined && (!/^https?:\/\/[^/\s]+/.test(restUrl) || !URL.canParse(restUrl))) throw new UserError(`--rest-url: "${restUrl}" is not an http(s) URL`);
  const market = args.market?.trim().toLowerCase();
  if (market !== undefined && !isMarket(market)) throw new UserError(`--market: "${args.market}" is not a market; use one of ${MARKETS.join(", ")}`);
  return { interval: args.interval as Interval | undefined, symbol, since, until, verify: !!args.verify, fill: !!args.fill, restUrl, market, clock, budget: createRestBudget({ clock }) };
}

/** Audits one file and, as asked, verifies its holes with the exchange or fills them. */
export async function checkCandleFile(file: string, options: GapsOptions): Promise<FileCheck> {
  const audit = auditOptionsOf(options);
  if (options.fill) return _fill(file, audit, options);
  const report = auditFile(file, audit);
  if (!options.verify) return { file, report };
  applyExchangeAnswer(report, await _ask(file, report, options, false));
  const lastRow = report.interval ? await _askLastRow(file, report.interval, options) : undefined;
  return { file, report, lastRow, conflictLog: readConflicts(file) };
}

/** What the audit of each file is given: the interval and expected coverage, judged at the clock's now. */
export function auditOptionsOf(options: GapsOptions): AuditFileOptions {
  return { interval: options.interval, since: options.since, until: options.until, now: (options.clock ?? systemClock).now() };
}

/** True when the check found anything: the audit's findings, or a last row the exchange disagrees with. */
export function hasCheckFindings(check: FileCheck): boolean {
  return hasFindings(check.report) || (check.lastRow !== undefined && check.lastRow.fields.length > 0);
}

/** True when the audit found anything but the exchange's own gaps. */
export function hasFindings(report: AuditReport): boolean {
  return (
    report.gaps.some((g) => g.kind !== "exchange") ||
    report.duplicates.length > 0 ||
    report.outOfOrder.length > 0 ||
    report.misaligned.length > 0 ||
    report.corrupt.length > 0 ||
    report.headMissing > 0 ||
    report.tailMissing > 0
  );
}

// --- internal ---

async function _fill(file: string, audit: AuditFileOptions, options: GapsOptions): Promise<FileCheck> {
  closeSync(openCandleFile(file)); // a missing file is said as such, not as a lock failure
  let lock: { release(): void };
  try {
    lock = acquireLock(file);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`--fill refused: ${err.message}`);
    throw new UserError(`${file}: cannot take its lock ${file}.lock (${(err as NodeJS.ErrnoException).code ?? err}); --fill needs to write beside it`);
  }
  try {
    const before = auditFile(file, audit);
    if (before.intervalInferred) throw new UserError(`${file}: the interval was guessed from the data (${before.interval}); give --interval to fill it`);
    const answer = await _ask(file, before, options, true);
    applyExchangeAnswer(before, answer);
    const repair = repairFile(file, before, answer.candles);
    if (!repair) return { file, report: before, repair };
    const after = auditFile(file, { ...audit, interval: before.interval ?? undefined });
    applyExchangeAnswer(after, answer);
    return { file, report: after, repair };
  } finally {
    lock.release();
  }
}

/** Klines of the file's market (from its name): its REST paths, and its default host unless --rest-url says otherwise. */
function _fetcher(file: string, symbol: string, interval: Interval, options: GapsOptions): KlineFetcher {
  const market = options.market ?? marketFromName(file);
  const restUrl = options.restUrl ?? MARKET_PROFILES[market].restUrl;
  return (from, to) =>
    fetchClosedKlines({ restUrl, market, symbol, interval, startTime: from, endTime: to, maxAttempts: REST_MAX_ATTEMPTS, clock: options.clock, fetch: options.fetch, budget: options.budget, stream: `${symbol}@${interval}` });
}

async function _askLastRow(file: string, interval: Interval, options: GapsOptions): Promise<LastRowCheck | undefined> {
  const symbol = options.symbol ?? symbolFromName(file);
  if (!symbol) return undefined;
  const fetchRange = _fetcher(file, symbol, interval, options);
  const fetchOne = (time: number) => fetchRange(time, time);
  try {
    return await checkLastRow(file, interval, (options.clock ?? systemClock).now(), fetchOne);
  } catch (err) {
    if (err instanceof RestUnavailableError) throw new UserError(`${file}: cannot ask the exchange: ${err.message}`);
    throw err;
  }
}

async function _ask(file: string, report: AuditReport, options: GapsOptions, repair: boolean) {
  const interval = report.interval;
  if (!interval) throw new UserError(`${file}: the candle interval is unknown; give --interval`);
  const symbol = options.symbol ?? symbolFromName(file);
  if (!symbol) throw new UserError(`${file}: the file name does not say the symbol; give --symbol`);
  const fetcher = _fetcher(file, symbol, interval, options);
  try {
    return await askExchange(report, fetcher, { repair });
  } catch (err) {
    if (err instanceof RestUnavailableError) throw new UserError(`${file}: cannot ask the exchange: ${err.message}`);
    throw err;
  }
}
