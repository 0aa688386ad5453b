import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { BINARY, ensureBinary, runBinary } from "../helpers/binary.ts";
import { checkCsvAgainstTruth, closedBetween, CLOSE_DELIVERY_MS, openedBetween } from "../helpers/csv-truth.ts";

let dir: string;
let exchange: Exchange;
beforeAll(async () => {
  ensureBinary();
  exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT", "PEPEUSDT"], seed: 11, log: () => {} });
}, 120_000);
afterAll(() => exchange.stop());

function freshDir(): string {
  dir = mkdtempSync(join(tmpdir(), "run-bin-"));
  return dir;
}
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Network flags that fail fast: nothing listens on port 1. */
const OFFLINE = ["--ws-url", "ws://127.0.0.1:1", "--rest-url", "http://127.0.0.1:1", "--no-dashboard"];

describe("bad input: one line on stderr, exit 2, no stack trace", () => {
  const cases: [string, string[], RegExp, ((d: string) => void) | null][] = [
    ["an unknown flag", ["run", "--bogus"], /unknown option --bogus/, null],
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/, null],
    ["a bad interval", ["run", "--interval", "1h,7m", ...OFFLINE], /"7m" is not a Binance interval/, null],
    ["a negative duration", ["run", "--restart-every", "-5s", ...OFFLINE], /--restart-every: "-5s" is not a duration/, null],
    ["a duration without unit", ["run", "--stale-after", "30", ...OFFLINE], /--stale-after: "30" has no unit/, null],
    ["a zero stale-after", ["run", "--stale-after", "0", ...OFFLINE], /--stale-after must be longer than 0/, null],
    ["a malformed URL", ["run", "--ws-url", "not a url"], /--ws-url: "not a url" is not a URL/, null],
    ["a URL of the wrong kind", ["run", "--rest-url", "ftp://x"], /--rest-url: "ftp:\/\/x" must start with http:\/\/ or https:\/\//, null],
    ["a bad --since", ["run", "--since", "yesterday", ...OFFLINE], /--since: "yesterday" is not a time/, null],
    ["a missing config", ["run", "--config", "nope.yml", ...OFFLINE], /config file nope.yml does not exist/, null],
    ["a malformed config", ["run", "--config", "bad.yml", ...OFFLINE], /bad.yml is not valid YAML/, (d) => writeFileSync(join(d, "bad.yml"), "binance: [unclosed\n")],
    ["a missing include", ["run", "--config", "inc.yml", ...OFFLINE], /inc.yml: included file missing.yml does not exist/, (d) => writeFileSync(join(d, "inc.yml"), "include: [missing.yml]\n")],
    ["a value of the wrong type", ["run", "--config", "t.yml", ...OFFLINE], /t.yml: binance.stream.symbols must be a name or a non-empty list/, (d) => writeFileSync(join(d, "t.yml"), "binance:\n  stream:\n    symbols: 5\n")],
    ["symbol and symbols both", ["run", "--config", "b.yml", ...OFFLINE], /both binance.stream.symbol and binance.stream.symbols are set/, (d) => writeFileSync(join(d, "b.yml"), "binance:\n  stream:\n    symbol: btcusdt\n    symbols: [ethusdt]\n")],
    ["an --out under a file", ["run", "--out", "file.txt/sub", ...OFFLINE], /cannot create the output directory file.txt\/sub/, (d) => writeFileSync(join(d, "file.txt"), "x")],
    ["a state file that cannot be written", ["run", "--state", "file.txt/state.json", ...OFFLINE], /cannot write the state file file.txt\/state.json: (ENOTDIR|EEXIST)/, (d) => writeFileSync(join(d, "file.txt"), "x")],
    ["a state file of a running recorder", ["run", "--state", "s.json", ...OFFLINE], new RegExp(`state file s.json belongs to the recorder running as pid ${process.pid}`), (d) => writeFileSync(join(d, "s.json"), JSON.stringify({ status: "connected", pid: process.pid, hostname: hostname() }))],
    ["a CSV with a foreign header", ["run", "--out", "o", ...OFFLINE], /does not start with the header/, (d) => (mkdirSync(join(d, "o")), writeFileSync(join(d, "o/candles_BTCUSDT_1h.csv"), "a,b\n1,2\n"))],
    ["a CSV whose last row is in the future", ["run", "--out", "o", ...OFFLINE], /last row of .* is in the future \(2099-01-01T00:00:00Z\)/, (d) => (mkdirSync(join(d, "o")), writeFileSync(join(d, "o/candles_BTCUSDT_1h.csv"), "timestamp,open,high,low,close,volume\n2099-01-01T00:00:00Z,1,1,1,1,1\n"))],
    ["a CSV locked by a live recorder", ["run", "--out", "o", ...OFFLINE], new RegExp(`being recorded by pid ${process.pid}`), (d) => (mkdirSync(join(d, "o")), writeFileSync(join(d, "o/candles_BTCUSDT_1h.csv.lock"), JSON.stringify({ pid: process.pid, hostname: hostname() })))],
  ];
  test.each(cases)("%s", async (_name, args, message, setup) => {
    const d = freshDir();
    if (setup) setup(d);
    const { code, stdout, stderr } = await runBinary(args, { cwd: d });
    expect(code).toBe(2);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toMatch(/\n\s+at /);
  });

  test("a symbol the exchange does not know (-1121), checked at start-up", async () => {
    const d = freshDir();
    const { code, stderr } = await runBinary(["run", "--symbol", "btcusdt,NOPEUSDT", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--no-dashboard"], { cwd: d });
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(/^resilience: symbol NOPEUSDT does not exist .*-1121/);
    expect(existsSync(join(d, "candles_NOPEUSDT_1h.csv"))).toBe(false);
  });
});

describe("signals and crashes", () => {
  const spawned: Bun.Subprocess[] = [];
  afterEach(() => {
    for (const p of spawned.splice(0)) p.kill("SIGKILL"); // a failed test leaves no recorder behind
  });
  function spawnRun(d: string, extra: string[] = []) {
    const proc = Bun.spawn(
      [BINARY, "run", "--symbol", "btcusdt,pepeusdt", "--interval", "1s", "--restart-every", "0", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", "csv", "--no-dashboard", ...extra],
      { cwd: d, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, NO_COLOR: "1", RESILIENCE_LOG_LEVEL: "3" } },
    );
    spawned.push(proc);
    return proc;
  }
  async function waitForRows(path: string, rows: number) {
    for (let i = 0; i < 200; i++) {
      if (existsSync(path) && readFileSync(path, "utf8").split("\n").length - 2 >= rows) return;
      await Bun.sleep(50);
    }
    throw new Error(`${path} never reached ${rows} rows`);
  }

  test.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)("%s stops gracefully: exit 0, state stopped, lock released", async (signal) => {
    const d = freshDir();
    const proc = spawnRun(d);
    await waitForRows(join(d, "csv/candles_BTCUSDT_1s.csv"), 1);
    proc.kill(signal);
    expect(await proc.exited).toBe(0);
    const state = JSON.parse(readFileSync(join(d, "state/heartbeat.state.json"), "utf8"));
    expect(state.status).toBe("stopped");
    expect(state.stop_reason).toBe(signal);
    expect(existsSync(join(d, "csv/candles_BTCUSDT_1s.csv.lock"))).toBe(false);
  });

  test("after kill -9 and a torn last line, a restart takes the lock over, cuts the line and backfills what was missed", async () => {
    const d = freshDir();
    const csv = join(d, "csv/candles_PEPEUSDT_1s.csv");
    const spawnedAt = Date.now();
    const first = spawnRun(d);
    await waitForRows(csv, 2);
    const twoRowsAt = Date.now();
    first.kill("SIGKILL");
    await first.exited;
    appendFileSync(csv, "2099-01-01T00:00:00Z,0.0000"); // a write torn by a power cut
    await Bun.sleep(2500); // candles close while nobody records
    const second = spawnRun(d);
    const killedAt = Date.now();
    await waitForRows(csv, 6);
    await Bun.sleep(1200);
    const stoppedAt = Date.now();
    second.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const exitedAt = Date.now();
    const log = await new Response(second.stdout).text();
    expect(log).toContain("torn last line");
    expect(log).toMatch(/took over the lock of pid \d+/);
    expect(log).toMatch(/backfill repaired \d+ candles?/);
    for (const symbol of ["BTCUSDT", "PEPEUSDT"]) {
      // The first run's first candle opened after its spawn and had closed, with the one after it, when two rows were there.
      const { times, problems } = checkCsvAgainstTruth(join(d, `csv/candles_${symbol}_1s.csv`), exchange, symbol, "1s", { expectFirst: openedBetween("1s", spawnedAt, twoRowsAt - 2000), expectLast: closedBetween("1s", stoppedAt - CLOSE_DELIVERY_MS, exitedAt) });
      expect(problems).toEqual([]);
      expect(times[times.length - 1]).toBeGreaterThan(killedAt);
    }
    expect(existsSync(`${csv}.lock`)).toBe(false);
  }, 30_000);

  test("a log reader that goes away (| head -1) never stops the recorder", async () => {
    const d = freshDir();
    const script = `${BINARY} run --symbol btcusdt --interval 1s --restart-every 0 --ws-url ${exchange.wsUrl} --rest-url ${exchange.url} --out csv --state ${d}/state/heartbeat.state.json --no-dashboard | head -1`;
    const shell = Bun.spawn(["bash", "-c", script], { cwd: d, stdout: "pipe", stderr: "pipe", env: { ...process.env, RESILIENCE_LOG_LEVEL: "3" } });
    spawned.push(shell);
    try {
      await waitForRows(join(d, "csv/candles_BTCUSDT_1s.csv"), 3);
    } finally {
      Bun.spawnSync(["pkill", "-INT", "-f", "--", `--state ${d}/`]);
    }
    await shell.exited;
    expect(await new Response(shell.stderr).text()).not.toContain("EPIPE");
    expect(JSON.parse(readFileSync(join(d, "state/heartbeat.state.json"), "utf8")).status).toBe("stopped");
  }, 20_000);
});
