import { defineCommand } from "citty";
import { UserError } from "../errors.ts";
import { availableParallelism } from "node:os";
import { AUDIT_WORKER_ENV, runAuditWorker } from "../candles/audit-pool.ts";
import { expandCandlePaths } from "../candles/candle-files.ts";
import { checkCandleFiles, type CheckOutcome } from "../candles/check-files.ts";
import { DEFAULT_REST_URL, hasCheckFindings, resolveGapsOptions } from "../candles/gaps-check.ts";
import { auditDbTable, resolveDbGapsOptions, type DbGapsOptions } from "../db/db-gaps.ts";
import { addToGapsTotals, emptyGapsTotals, renderGapsJson, renderGapsText, renderGapsTotals } from "../render/gaps-report.ts";
import { jsonArg } from "./_args.ts";

export default defineCommand({
  meta: {
    name: "gaps",
    description: "Audit candle CSV files (ours, the seed's, Binance dumps) or a PostgreSQL candle table (--db): holes, duplicates, late, misaligned and corrupt rows. Exit 0 clean, 1 found something, 2 bad input",
  },
  args: {
    file: { type: "positional", description: "candle CSV file(s), or directories: every candle file under them (candles_*.csv, SYMBOL-interval-YYYY-MM.csv), by path", valueHint: "FILE.csv|DIR", required: false },
    interval: { type: "string", description: "candle interval (default: from the file name, else inferred from the data); with --db a comma list (default: all)", valueHint: "I" },
    symbol: { type: "string", description: "symbol for --fill/--verify when the file name does not say it; with --db a comma list (default: all)", valueHint: "S" },
    since: { type: "string", description: "expected first candle, inclusive (ISO or epoch ms): reports the missing head", valueHint: "TIME" },
    until: { type: "string", description: "expected last candle, inclusive (ISO, epoch ms, or now = the last closed one): reports the missing tail", valueHint: "TIME" },
    ...jsonArg,
    jobs: { type: "string", description: "worker processes auditing at once, a file or a range of a large one each (default: one per core; 1 = in this process); --fill and --verify go one file at a time", valueHint: "N" },
    fill: { type: "boolean", description: "fetch missing candles from the exchange and rewrite the file (temp + rename, original kept as FILE.bak); refused while a recorder holds the file's lock" },
    verify: { type: "boolean", description: "ask the exchange about each hole (lost: it has the candle; exchange: it has none, not counted) and about the last row (a mismatch is a finding); list rows the recorder replaced (FILE.conflicts.jsonl)" },
    "rest-url": { type: "string", description: `exchange REST base URL (default: the file's market, from its name: ${DEFAULT_REST_URL} for candles_<SYMBOL>_<interval>.csv, the futures hosts for candles_usdm_… and candles_coinm_…)`, valueHint: "URL" },
    db: { type: "string", description: "audit a PostgreSQL candle table instead of files, in the database (default: RESILIENCE_DB when no file is given)", valueHint: "URL" },
    "db-table": { type: "string", description: "with --db: the candle table, name or schema.name (default candles)", valueHint: "NAME" },
    market: { type: "string", description: "files: the market asked by --verify/--fill, spot usdm coinm (default: from the file name); with --db a comma list (default: all in the table)", valueHint: "M" },
  },
  async run({ args }) {
    const worker = process.env[AUDIT_WORKER_ENV];
    if (worker !== undefined) return runAuditWorker(worker);
    const files = args._.map(String);
    const db = args.db ?? (files.length === 0 ? process.env.RESILIENCE_DB : undefined);
    if (db !== undefined || args["db-table"] !== undefined) {
      const options = resolveDbGapsOptions({ ...args, files, db, dbFrom: args.db === undefined ? "RESILIENCE_DB" : "--db", dbTable: args["db-table"] }, Date.now());
      process.exitCode = await _printDbAudit(options, !!args.json);
      return;
    }
    if (files.length === 0) throw new UserError("gaps: give at least one candle file, e.g. resilience gaps candles_BTCUSDT_1h.csv");
    const options = resolveGapsOptions({ ...args, restUrl: args["rest-url"] });
    const jobs = _parseJobs(args.jobs);
    const { files: paths, directories } = expandCandlePaths(files);
    process.exitCode = await _printFileChecks(checkCandleFiles(paths, options, { jobs }), !!args.json, paths.length > 1 || directories > 0);
  },
});

// --- internal ---

/** `gaps --db`: one report per stream as each query answers; notes about the table go to stderr with --json. */
async function _printDbAudit(options: DbGapsOptions, json: boolean): Promise<number> {
  const color = !json && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  let exitCode = 0;
  for await (const item of auditDbTable(options)) {
    if (item.kind === "note" && json) console.error(`resilience: ${item.text}`);
    else if (item.kind === "note") console.log(item.text);
    else console.log(json ? renderGapsJson(item.check) : renderGapsText(item.check, { color }).join("\n"));
    if (item.kind === "note" ? item.finding : hasCheckFindings(item.check)) exitCode = 1;
  }
  return exitCode;
}

/** Files: each report in order as it comes; over several files (not with --json) a last line of totals. */
async function _printFileChecks(outcomes: AsyncIterable<CheckOutcome>, json: boolean, totalLine: boolean): Promise<number> {
  const color = !json && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const totals = emptyGapsTotals();
  let exitCode = 0;
  for await (const { file, check, error } of outcomes) {
    if (error !== undefined) {
      console.error(`resilience: ${error}`);
      addToGapsTotals(totals, null, false);
      exitCode = 2;
      continue;
    }
    console.log(json ? renderGapsJson(check) : renderGapsText(check, { color }).join("\n"));
    if (json && check.report.intervalInferred) console.error(`resilience: ${file}: interval ${check.report.interval} inferred from the data; give --interval to be sure`);
    const found = hasCheckFindings(check);
    addToGapsTotals(totals, check, found);
    if (found) exitCode = Math.max(exitCode, 1);
  }
  if (totalLine && !json) console.log(renderGapsTotals(totals, { color }));
  return exitCode;
}

/** --jobs: a positive whole number; by default one per core. */
function _parseJobs(text: string | undefined): number {
  if (text === undefined) return Math.max(1, availableParallelism());
  const jobs = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(jobs) || jobs < 1) throw new UserError(`--jobs: "${text}" is not a positive whole number; e.g. --jobs 2`);
  return jobs;
}
