/**
 * Two recorders, one PostgreSQL table, end to end on the compiled binary: `dist/resilience
 * simulate` with connection drops, `dist/resilience run --db` twice on the same streams
 * (own CSVs, own state files, one table), each SIGKILLed and restarted once, and
 * PostgreSQL itself stopped for 10 s in the middle. Then: every CSV is exact against the
 * simulator; the table holds every candle from the recorders' first row to their last,
 * once, with the exchange's decimal strings (`numeric::text`); nothing is pending and
 * nothing conflicts; `resilience gaps --db` is clean and, once a row is deleted, names
 * exactly that hole; the URL's password is in no log. Prints one line of figures; exits 1
 * on any problem. Needs a local PostgreSQL (127.0.0.1:5432, trust auth, database `test`)
 * that this script may stop and start (pg_ctlcluster).
 *
 *   bun scripts/e2e-db.ts [--seconds 75] [--keep DIR]
 */
import { SQL } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { simulatedKline } from "../src/sim/candles.ts";
import type { Interval } from "../src/time/intervals.ts";
import { readFirstLine } from "./lib/process-io.ts";
import { spawnRecorder, stopProcess } from "./lib/recorder.ts";
import { checkCsv, closedBetween, openedBetween, totalVerdicts, type CsvVerdict } from "./lib/truth-check.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "75" }, keep: { type: "string" } } });
const SECONDS = Number(values.seconds);
if (!(SECONDS >= 40)) throw new Error("--seconds must be at least 40 (the database alone is down for 10 s)");
const BIN = resolve(import.meta.dir, "../dist/resilience");
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
const SYMBOLS = ["BTCUSDT", "ETHUSDT", "PEPEUSDT"];
const SEED = 42;
const INTERVAL = "1s";
/** trust auth ignores the password: it is only there to prove that no log shows the URL. */
const SECRET = "e2e-secret";
const DB_NAME = `resilience_e2e_${process.pid}`;
const DB_URL = `postgres://root:${SECRET}@127.0.0.1:5432/${DB_NAME}`;
const ADMIN_URL = "postgres://root@127.0.0.1:5432/test";
const TABLE = "candles";
const DB_DOWN_MS = 10_000;
/** Connection drops spread over the run; the last 10 s stay quiet so the stop sees recovered recorders. */
const FAULTS = ([["drop", 0.1], ["close:1008", 0.3], ["refuse:3s", 0.5], ["drop", 0.72]] as const)
  .map(([kind, at]) => `${kind}@${Math.round(at * SECONDS)}s`)
  .join(",");

interface Recorder {
  name: string;
  out: string;
  state: string;
  runs: number;
  proc?: ReturnType<typeof spawnRecorder>;
}

const wallStart = Date.now();
const dir = values.keep ?? mkdtempSync(join(tmpdir(), "resilience-e2e-db-"));
const logs = join(dir, "logs");
mkdirSync(logs, { recursive: true });
const problems: string[] = [];
const recorders: Recorder[] = ["a", "b"].map((name) => ({ name, out: join(dir, name), state: join(dir, name, "state.json"), runs: 0 }));
let sim: ReturnType<typeof Bun.spawn> | undefined;
let dbStopped = false;
let figures = "";

// Interrupted (Ctrl-C, a CI timeout): no finally runs, so bring the database back here.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const r of recorders) r.proc?.kill("SIGKILL");
    sim?.kill("SIGKILL");
    if (dbStopped) _pgctl("start");
    console.error(`e2e-db: ${signal}; left ${dir} and the database ${DB_NAME}`);
    process.exit(130);
  });
}

await _withDb(ADMIN_URL, (db) => db.unsafe(`CREATE DATABASE ${DB_NAME}`));
try {
  const base = await startSimulator();
  const timeline = await runTimeline(base);
  figures = await check(timeline);
} finally {
  for (const r of recorders) if (r.proc) await stopProcess(r.proc, 2000);
  sim?.kill("SIGTERM");
  await sim?.exited;
  if (dbStopped || !_pgReady()) _pgctl("start");
  if (!values.keep) await _withDb(ADMIN_URL, (db) => db.unsafe(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`)).catch((err) => console.error(`e2e-db: could not drop ${DB_NAME}: ${err}`));
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
console.log(`${figures}; ${((Date.now() - wallStart) / 1000).toFixed(0)}s wall`);
if (problems.length > 0) {
  for (const p of problems) console.error(`e2e-db problem: ${p}`);
  process.exit(1);
}

// --- internal ---

/** The simulator, its output kept in simulate.log; resolves with its base URL. */
async function startSimulator(): Promise<string> {
  sim = Bun.spawn([BIN, "simulate", "--port", "0", "--symbol", SYMBOLS.join(","), "--seed", String(SEED), "--faults", FAULTS], { stdout: "pipe", stderr: Bun.file(join(logs, "simulate.err")) });
  const firstLine = await readFirstLine(sim.stdout as ReadableStream<Uint8Array>);
  const base = /listening on (http:\/\/\S+)/.exec(firstLine)?.[1];
  if (!base) throw new Error(`simulate did not say where it listens: ${firstLine}`);
  const out = Bun.file(join(logs, "simulate.log")).writer();
  void (async () => {
    for await (const chunk of sim!.stdout as ReadableStream<Uint8Array>) out.write(chunk);
    await out.end();
  })();
  return base;
}

/** Both recorders; A killed at 20 %, the database down at 40 %, B killed at 60 %, both stopped at the end. */
async function runTimeline(base: string): Promise<{ started: number; stopAt: number; dbDown: { pendingA: number; pendingB: number } }> {
  const start = (r: Recorder) => {
    r.runs++;
    r.proc = spawnRecorder({
      command: [BIN], symbols: SYMBOLS.map((s) => s.toLowerCase()), interval: INTERVAL, restartEvery: "10s", staleAfter: "3s",
      wsUrl: base.replace("http", "ws"), restUrl: base, out: r.out, state: r.state, logPath: join(logs, `${r.name}-${r.runs}.log`), extra: ["--db", DB_URL],
    });
  };
  const kill = async (r: Recorder) => {
    r.proc!.kill("SIGKILL");
    await r.proc!.exited;
    _progress(`SIGKILLed ${r.name.toUpperCase()}`);
    await Bun.sleep(2000);
    start(r);
    _progress(`restarted ${r.name.toUpperCase()}`);
  };
  const started = Date.now();
  const at = (fraction: number) => Bun.sleep(Math.max(0, started + fraction * SECONDS * 1000 - Date.now()));
  for (const r of recorders) start(r);
  _progress(`two recorders on ${SYMBOLS.join(",")} ${INTERVAL} into ${DB_NAME}.${TABLE}; faults ${FAULTS}; ${dir}`);

  await at(0.2);
  await kill(recorders[0]!);
  await at(0.4);
  _pgctl("stop");
  dbStopped = true;
  _progress(`PostgreSQL stopped for ${DB_DOWN_MS / 1000} s`);
  await Bun.sleep(DB_DOWN_MS - 500);
  const [pendingA = -1, pendingB = -1] = recorders.map((r) => _state(r).replication?.pending_rows ?? -1);
  await Bun.sleep(500);
  _pgctl("start");
  dbStopped = false;
  _progress("PostgreSQL started again");
  await at(0.6);
  await kill(recorders[1]!);
  await at(1);

  const stopAt = Date.now();
  const codes = await Promise.all(recorders.map((r) => stopProcess(r.proc!)));
  for (const [k, code] of codes.entries()) if (code !== 0) problems.push(`recorder ${recorders[k]!.name.toUpperCase()} exited ${code} on SIGTERM`);
  for (const r of recorders) r.proc = undefined;
  _progress(`both recorders stopped (exit ${codes.join(", ")})`);
  sim!.kill("SIGTERM");
  await sim!.exited;
  return { started, stopAt, dbDown: { pendingA, pendingB } };
}

/** Every check of the brief; problems are collected, the figures line returned. */
async function check(t: Awaited<ReturnType<typeof runTimeline>>): Promise<string> {
  const truth = { truth: (symbol: string, interval: Interval, openTime: number) => simulatedKline(SEED, symbol, interval, openTime) };
  const expected = { first: openedBetween(INTERVAL, t.started, t.started + 8000), last: closedBetween(INTERVAL, t.stopAt - 3000, t.stopAt) };
  const verdicts = recorders.map((r) => SYMBOLS.map((s) => checkCsv(join(r.out, `candles_${s}_${INTERVAL}.csv`), truth, s, INTERVAL, expected)));
  const csv = verdicts.map(totalVerdicts);
  for (const [k, v] of csv.entries()) for (const p of v.problems) problems.push(`${recorders[k]!.name.toUpperCase()}: ${p}`);

  const span = new Map(SYMBOLS.map((s, i) => [s, _span(verdicts.map((v) => v[i]!))] as const));
  const table = await _withDb(DB_URL, (db) => checkTable(db, span));

  for (const r of recorders) {
    const state = _state(r);
    if (state.status !== "stopped") problems.push(`${r.name.toUpperCase()}: state status is ${state.status}, not stopped`);
    if (state.replication?.pending_rows !== 0) problems.push(`${r.name.toUpperCase()}: replication.pending_rows is ${state.replication?.pending_rows} after the stop`);
  }
  const gaps = await checkGaps(span);

  const logText = readdirSync(logs).filter((f) => /^[ab]-\d+\.log$/.test(f)).map((f) => readFileSync(join(logs, f), "utf8"));
  const all = logText.join("") + recorders.map((r) => readFileSync(r.state, "utf8")).join("");
  if (all.includes(SECRET)) problems.push(`the database password ${SECRET} appears in a recorder's log or state file`);
  if (gaps.output.includes(SECRET)) problems.push(`the database password ${SECRET} appears in the output of resilience gaps --db`);
  const count = (re: RegExp) => logText.reduce((n, text) => n + (text.match(re) ?? []).length, 0);
  const unreachable = count(/database \S+ unreachable/g);
  if (unreachable === 0) problems.push("no recorder logged the database as unreachable while it was stopped");

  const states = recorders.map(_state);
  return (
    `e2e-db: ${SECONDS}s, CSV rows A ${csv[0]!.rows} B ${csv[1]!.rows} (${csv[0]!.lost + csv[1]!.lost} lost, ${csv[0]!.duplicated + csv[1]!.duplicated} duplicated, ${csv[0]!.wrong + csv[1]!.wrong} wrong); ` +
    `table ${table.rows} rows (${table.missing} missing, ${table.extra} extra, ${table.wrong} wrong, ${table.conflicts} conflicts); ` +
    `database down ${DB_DOWN_MS / 1000}s: pending A ${t.dbDown.pendingA} B ${t.dbDown.pendingB}, unreachable logged ${unreachable}, reachable again ${count(/reachable again after/g)}; ` +
    `last runs inserted A ${states[0]!.replication?.inserted_rows} B ${states[1]!.replication?.inserted_rows} of ${states[0]!.replication?.replicated_rows}+${states[1]!.replication?.replicated_rows} sent; ` +
    `disconnects ${count(/disconnected:/g)}, backfills ${count(/backfill repaired/g)}; gaps --db clean ${gaps.clean}, hole ${gaps.hole}`
  );
}

/** Check 2 and 3: every candle of each symbol's span once with the exchange's strings, nothing else, no conflicts. */
async function checkTable(db: SQL, span: Map<string, { from: number; to: number } | undefined>): Promise<{ rows: number; missing: number; extra: number; wrong: number; conflicts: number }> {
  const figures = { rows: 0, missing: 0, extra: 0, wrong: 0, conflicts: 0 };
  const rows = (await db.unsafe(
    `SELECT market, symbol, interval, open_time, open::text AS open, high::text AS high, low::text AS low, close::text AS close, volume::text AS volume FROM ${TABLE} ORDER BY market, symbol, interval, open_time`,
  )) as Array<{ market: string; symbol: string; interval: string; open_time: Date; open: string; high: string; low: string; close: string; volume: string }>;
  figures.rows = rows.length;
  const seen = new Map<string, Set<number>>(SYMBOLS.map((s) => [s, new Set()]));
  const report = (kind: "missing" | "extra" | "wrong", line: string) => {
    if (figures[kind]++ < 5) problems.push(`table: ${line}`);
  };
  for (const row of rows) {
    const t = row.open_time.getTime();
    const range = span.get(row.symbol);
    const stamp = `${row.market} ${row.symbol} ${row.interval} ${new Date(t).toISOString()}`;
    if (row.market !== "spot" || row.interval !== INTERVAL || !range || t < range.from || t > range.to) {
      report("extra", `${stamp} is outside every recorder's CSV`);
      continue;
    }
    seen.get(row.symbol)!.add(t);
    const k = simulatedKline(SEED, row.symbol, INTERVAL, t);
    const got = `${row.open},${row.high},${row.low},${row.close},${row.volume}`;
    const want = `${k.open},${k.high},${k.low},${k.close},${k.volume}`;
    if (got !== want) report("wrong", `${stamp} is ${got}, the exchange has ${want}`);
  }
  for (const [symbol, range] of span) {
    if (!range) continue;
    for (let t = range.from; t <= range.to; t += 1000) if (!seen.get(symbol)!.has(t)) report("missing", `${symbol} ${new Date(t).toISOString()} is missing`);
  }
  for (const kind of ["missing", "extra", "wrong"] as const) if (figures[kind] > 5) problems.push(`table: ${figures[kind] - 5} more ${kind}`);
  const [{ n }] = (await db.unsafe(`SELECT count(*)::int AS n FROM ${TABLE}_conflicts`)) as [{ n: number }];
  figures.conflicts = n;
  if (n !== 0) problems.push(`${TABLE}_conflicts holds ${n} rows`);
  return figures;
}

/** Check 4: `gaps --db` clean per symbol on its span; then one row deleted is exactly the one hole found. */
async function checkGaps(span: Map<string, { from: number; to: number } | undefined>): Promise<{ clean: string; hole: string; output: string }> {
  let output = "";
  const gaps = (args: string[]) => {
    const run = Bun.spawnSync([BIN, "gaps", "--db", DB_URL, "--interval", INTERVAL, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" }, timeout: 30_000 });
    const text = run.stdout.toString() + run.stderr.toString();
    output += text;
    return { code: run.exitCode, stdout: run.stdout.toString(), text };
  };
  const iso = (t: number) => new Date(t).toISOString();
  let clean = "yes";
  for (const [symbol, range] of span) {
    if (!range) continue;
    const run = gaps(["--symbol", symbol, "--since", iso(range.from), "--until", iso(range.to)]);
    if (run.code !== 0) {
      clean = "no";
      problems.push(`gaps --db --symbol ${symbol} exited ${run.code}, expected 0: ${run.text.slice(0, 300)}`);
    }
  }
  const ranges = [...span.values()].filter((r) => r !== undefined);
  if (ranges.length !== SYMBOLS.length) return { clean, hole: "not tried", output };
  const from = Math.max(...ranges.map((r) => r.from));
  const to = Math.min(...ranges.map((r) => r.to));
  const victim = SYMBOLS[1]!;
  const hole = from + Math.floor((to - from) / 2000) * 1000;
  const deleted = await _withDb(DB_URL, (db) => db.unsafe(`DELETE FROM ${TABLE} WHERE market = 'spot' AND symbol = $1 AND interval = $2 AND open_time = $3 RETURNING 1`, [victim, INTERVAL, iso(hole)]));
  if (deleted.length !== 1) problems.push(`DELETE of ${victim} ${iso(hole)} removed ${deleted.length} rows`);
  const run = gaps(["--since", iso(from), "--until", iso(to), "--json"]);
  if (run.code !== 1) problems.push(`gaps --db after deleting ${victim} ${iso(hole)} exited ${run.code}, expected 1: ${run.text.slice(0, 300)}`);
  const reports = run.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as _GapsJson);
  const found = reports.flatMap((r) => r.gaps.map((g) => ({ file: r.file, ...g })));
  const others = reports.filter((r) => r.duplicates.length + r.out_of_order.length + r.misaligned.length + r.corrupt.length + r.head_missing + r.tail_missing > 0);
  const exact = found.length === 1 && found[0]!.file.includes(` ${victim} `) && Date.parse(found[0]!.first_missing) === hole && Date.parse(found[0]!.last_missing) === hole && found[0]!.missing === 1;
  if (reports.length !== SYMBOLS.length) problems.push(`gaps --db --json printed ${reports.length} reports, expected ${SYMBOLS.length}`);
  if (!exact || others.length > 0) problems.push(`gaps --db --json did not name exactly ${victim} ${iso(hole)} as the one hole: ${JSON.stringify(found).slice(0, 300)}${others.length ? ` and other findings in ${others.map((r) => r.file).join(", ")}` : ""}`);
  return { clean, hole: exact && run.code === 1 ? `${victim} ${iso(hole)} found` : "NOT found", output };
}

interface _GapsJson {
  file: string;
  gaps: Array<{ first_missing: string; last_missing: string; missing: number }>;
  duplicates: unknown[];
  out_of_order: unknown[];
  misaligned: unknown[];
  corrupt: unknown[];
  head_missing: number;
  tail_missing: number;
}

/** The earliest first row and latest last row of one symbol over both recorders' CSVs. */
function _span(verdicts: CsvVerdict[]): { from: number; to: number } | undefined {
  const firsts = verdicts.map((v) => v.first).filter((t) => t !== undefined);
  const lasts = verdicts.map((v) => v.last).filter((t) => t !== undefined);
  return firsts.length === 0 ? undefined : { from: Math.min(...firsts), to: Math.max(...lasts) };
}

function _state(r: Recorder): { status?: string; replication?: { pending_rows: number; inserted_rows: number; replicated_rows: number } } {
  try {
    return JSON.parse(readFileSync(r.state, "utf8"));
  } catch {
    return {};
  }
}

/** A fresh connection for each use: the server is restarted in between. */
async function _withDb<T>(url: string, use: (db: SQL) => Promise<T>): Promise<T> {
  const db = new SQL({ url, max: 1 });
  try {
    return await use(db);
  } finally {
    await db.close({ timeout: 1 });
  }
}

function _pgctl(action: "start" | "stop"): void {
  const cluster = readdirSync("/etc/postgresql")[0];
  const run = Bun.spawnSync(["pg_ctlcluster", "--skip-systemctl-redirect", cluster ?? "", "main", action], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`pg_ctlcluster ${cluster} main ${action} exited ${run.exitCode}: ${run.stderr.toString().trim()}`);
}

function _pgReady(): boolean {
  return Bun.spawnSync(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).exitCode === 0;
}

function _progress(line: string): void {
  console.error(`e2e-db ${((Date.now() - wallStart) / 1000).toFixed(1).padStart(5)}s: ${line}`);
}
