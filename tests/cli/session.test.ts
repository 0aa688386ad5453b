import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findSession } from "../../src/tmux/sessions.ts";
import { startSession } from "../../src/tmux/start-session.ts";
import { startFakeBinance } from "../helpers/fake-binance.ts";
import { CLI, FAKE_RECORDER, runCli, useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux, env } = useTmuxServer();
const dir = useTempDir("resilience-session-");
const binance = await startFakeBinance();
afterAll(() => binance.stop());

// The recorder logs at info level here (the test preload quiets this process only).
const cliEnv = { ...env, RESILIENCE_LOG_LEVEL: "3" };
const cli = (args: string[], cwd = dir) => runCli(args, { cwd, env: cliEnv });
/** `resilience run` arguments against the fake exchange, files under `name/`. */
const runArgs = (name: string, extra: string[] = []) => ["--ws-url", binance.wsUrl, "--rest-url", binance.url, "--symbol", "BTCUSDT", "--interval", "1s", "--state", `${name}/state.json`, "--out", `${name}/data`, "--no-dashboard", ...extra];
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("with the real recorder", () => {
  test("start, ls, status, logs, stop: the recorder stops cleanly and its log survives the session", async () => {
    const start = await cli(["start", "--name", "rec", "--", ...runArgs("rec")]);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain(`log ${join(dir, "logs/rec.log")}`);
    const statePath = join(dir, "rec/state.json");
    await waitFor("a recorded candle", () => existsSync(statePath) && readJson(statePath).streams?.["BTCUSDT@1s"]?.last_candle);

    const ls = await cli(["ls", "--json"]);
    expect(JSON.parse(ls.stdout)).toEqual([expect.objectContaining({ name: "rec", state_file: statePath, run_args: runArgs("rec"), recorder: expect.objectContaining({ dead: false }) })]);
    const status = await cli(["status", "--name", "rec"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`state file   ${statePath}`);
    expect((await cli(["logs", "--name", "rec", "-n", "50"])).stdout).toContain("recording BTCUSDT@1s");

    const stop = await cli(["stop", "--name", "rec"]);
    expect(stop.stdout).toMatch(/^stopped rec: pid \d+ exited with status 0/);
    expect(stop.code).toBe(0);
    expect(readJson(statePath).status).toBe("stopped");
    expect(await findSession(tmux, "rec")).toBeUndefined();
    // The session is gone; its log is not.
    expect((await cli(["logs", "--name", "rec"])).stdout).toContain("recording BTCUSDT@1s");
    expect((await cli(["status", "--state", "rec/state.json"])).code).toBe(1);
  });

  test("stop while the recorder is mid-backfill waits for it and exits 0", async () => {
    // 2 h of 1s candles: a few REST pages, long enough to be stopped in the middle.
    const since = new Date(Date.now() - 2 * 3_600_000).toISOString();
    expect((await cli(["start", "--name", "backfilling", "--", ...runArgs("backfilling", ["--since", since])])).code).toBe(0);
    const csv = join(dir, "backfilling/data/candles_BTCUSDT_1s.csv");
    await waitFor("the backfill to begin", () => existsSync(csv) && readFileSync(csv, "utf8").split("\n").length > 2);
    const stop = await cli(["stop", "--name", "backfilling", "--timeout", "20s"]);
    expect(stop.code).toBe(0);
    expect(readJson(join(dir, "backfilling/state.json")).status).toBe("stopped");
    // Whatever it wrote before stopping is whole rows in order: no torn tail, no duplicate.
    const times = readFileSync(csv, "utf8").trimEnd().split("\n").slice(1).map((row) => row.split(",")[0]!);
    expect(times.length).toBeGreaterThan(1);
    expect(readFileSync(csv, "utf8").endsWith("\n")).toBe(true);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
  }, 30_000);

  test("--with-watchdog runs 'resilience watchdog --state <same state>' in a second window", async () => {
    expect((await cli(["start", "--name", "watched", "--with-watchdog", "--", ...runArgs("watched")])).code).toBe(0);
    const info = await findSession(tmux, "watched");
    expect(info?.windows).toBe(2);
    const command = await tmux.check(["display-message", "-p", "-t", info!.watchdog!.id, "#{pane_start_command}"]);
    expect(command).toContain(`${CLI} watchdog --state ${join(dir, "watched/state.json")}`);
    expect((await cli(["stop", "--name", "watched"])).code).toBe(0);
  });

  test("a crashed pane stays inspectable and its log file survives", async () => {
    const start = await cli(["start", "--name", "crash", "--", "--config", "no-such-config.yml"]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain("the recorder in session crash exited at once with status 2");
    expect((await cli(["ls"])).stdout).toMatch(/crash\s+exited \(2\)/);
    // -S -: the first line scrolled into the history when the status line took a row.
    const screen = await tmux.check(["capture-pane", "-p", "-J", "-S", "-", "-t", "=crash:"]);
    expect(screen).toContain("no-such-config.yml");
    await waitFor("the error in the log", async () => (await cli(["logs", "--name", "crash"])).stdout.includes("no-such-config.yml"));
    const stop = await cli(["stop", "--name", "crash"]);
    expect(stop.stdout).toContain("the recorder had already exited with status 2");
    expect(stop.code).toBe(1);
    expect((await cli(["logs", "--name", "crash"])).stdout).toContain("no-such-config.yml");
  });
});

describe("with the stand-in recorder", () => {
  /** A session running tests/fixtures/fake-recorder.ts, as `start` would lay it out. */
  async function standIn(name: string, extra: string[] = []) {
    const statePath = join(dir, name, "state.json");
    const args = ["--state", statePath, ...extra];
    await startSession({ tmux, name, cwd: dir, command: [process.execPath, FAKE_RECORDER, ...args], runArgs: args, statePath, logPath: join(dir, "logs", `${name}.log`), settleMs: 0 });
    await waitFor("the first heartbeat", () => existsSync(statePath));
  }

  test("stop exit codes: 0 after a slow cleanup, 1 when it had to be killed, 2 without a session", async () => {
    await standIn("slow", ["--cleanup-ms", "1000"]);
    const slow = await cli(["stop", "--name", "slow"]);
    expect(slow.code).toBe(0);
    expect(slow.stdout).toMatch(/after 1\.\d s; session closed/);
    await standIn("deaf", ["--ignore-term"]);
    const deaf = await cli(["stop", "--name", "deaf", "--timeout", "300ms"]);
    expect(deaf.code).toBe(1);
    expect(deaf.stdout).toContain("was still running after");
    const none = await cli(["stop", "--name", "deaf"]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe("resilience: no tmux session named deaf; 'resilience ls' lists the sessions 'resilience start' made");
  });

  test("logs -n prints the last lines; -f follows until Ctrl-C", async () => {
    await standIn("chatty");
    await waitFor("a few ticks", () => readFileSync(join(dir, "logs/chatty.log"), "utf8").includes("tick 3"));
    const last = await cli(["logs", "--name", "chatty", "-n", "2"]);
    expect(last.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(last.stdout).toContain("tick");

    const follow = Bun.spawn([process.execPath, CLI, "logs", "--name", "chatty", "-n", "0", "-f"], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    const reader = follow.stdout.getReader();
    let seen = "";
    while (!/tick \d+[\s\S]*tick \d+/.test(seen)) seen += new TextDecoder().decode((await reader.read()).value);
    follow.kill("SIGINT");
    expect(await follow.exited).toBe(0);
    await cli(["stop", "--name", "chatty"]);
  });

  test("prefix names never match another session", async () => {
    await standIn("resilience-tmux");
    for (const command of ["stop", "attach", "logs"]) {
      const r = await cli([command, "--name", "resilience"]);
      expect(r.code).toBe(2);
    }
    expect((await cli(["status", "--name", "res", "--state", "resilience-tmux/state.json"])).code).toBe(1);
    expect((await findSession(tmux, "resilience-tmux"))?.recorder?.dead).toBe(false);
    await cli(["stop", "--name", "resilience-tmux"]);
  });
});

describe("usage errors exit 2 with one line", () => {
  test.each([
    ["an existing session name", ["start", "--name", "taken"], "a tmux session named taken already exists"],
    ["an invalid name", ["start", "--name", "bad name"], 'is not a valid session name'],
    ["a stray word before --", ["start", "oops", "--", "--symbol", "X"], 'unexpected argument "oops"'],
    ["a stray word for stop", ["stop", "taken"], 'unexpected argument "taken"'],
    ["a bad --timeout", ["stop", "--timeout", "forever"], "--timeout"],
    ["a bad -n", ["logs", "--name", "taken", "-n", "ten"], "-n/--lines"],
    ["an unknown flag", ["ls", "--all"], "unknown option --all"],
  ])("%s", async (_, args, message) => {
    if (!(await findSession(tmux, "taken"))) await tmux.check(["new-session", "-d", "-s", "taken", "--", "sleep", "60"]);
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("tmux missing: says how to install it", async () => {
    const empty = join(dir, "empty-bin");
    mkdirSync(empty, { recursive: true });
    const r = await runCli(["ls"], { cwd: dir, env: { ...env, PATH: empty } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("resilience: tmux is not installed (not found on PATH); install it with: apt-get install tmux");
  });

  test.each(["status", "start", "attach", "logs", "stop", "ls"])("%s --help exits 0", async (command) => {
    const r = await cli([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`resilience ${command}`);
  });
});
