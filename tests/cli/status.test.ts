import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { startSession } from "../../src/tmux/start-session.ts";
import { FAKE_RECORDER, runCli, useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux, env } = useTmuxServer();
const dir = useTempDir("resilience-status-");
const alive = Bun.spawn(["sleep", "60"]);
afterAll(() => alive.kill());

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
let n = 0;

/** Writes a state file (ours unless `raw`) and returns its path. */
function stateFile(fields: Record<string, unknown>, raw = false): string {
  const path = join(dir, `state-${n++}.json`);
  const base = raw ? {} : { status: "connected", pid: alive.pid, hostname: hostname(), started_at: ago(3_600_000), updated_at: ago(2000), timestamp: ago(2000), streams: {} };
  writeFileSync(path, JSON.stringify({ ...base, ...fields }));
  return path;
}

const status = (args: string[], cwd = dir) => runCli(["status", ...args], { cwd, env });

describe("resilience status", () => {
  test("exit 0 for a running recorder with a fresh heartbeat", async () => {
    const r = await status(["--state", stateFile({})]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`recorder     running, pid ${alive.pid}`);
    expect(r.stdout).toContain("health       ok");
  });

  test.each([
    ["stale", { updated_at: ago(120_000) }, "the heartbeat is 2m old (limit 30s)"],
    ["dead", { pid: 2_000_000_000 }, "is not running but its state file still says \"connected\""],
    ["stopped", { status: "stopped", stop_reason: "SIGTERM" }, "the recorder stopped"],
    ["stream late", { streams: { s: { symbol: "ETHUSDT", interval: "1m", last_candle: new Date(Math.floor((Date.now() - 600_000) / 60_000) * 60_000).toISOString() } } }, "ETHUSDT 1m: the last candle"],
  ])("exit 1 when %s, with the reason", async (_, fields, reason) => {
    const r = await status(["--state", stateFile(fields)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("health       PROBLEM");
    expect(r.stdout).toContain(reason);
  });

  test("--max-age widens the heartbeat limit", async () => {
    const path = stateFile({ updated_at: ago(120_000) });
    expect((await status(["--state", path, "--max-age", "5m"])).code).toBe(0);
    expect((await status(["--state", path, "--max-age", "1m"])).code).toBe(1);
  });

  test("exit 2 with one line when there is no readable state file", async () => {
    for (const args of [["--state", join(dir, "missing.json")], []]) {
      const r = await status(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("cannot read state file");
      expect(r.stdout).toBe("");
    }
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ torn");
    const r = await status(["--state", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not valid JSON");
  });

  test("the default state file is state/heartbeat.state.json in the current directory", async () => {
    const cwd = join(dir, "cwd-default");
    mkdirSync(join(cwd, "state"), { recursive: true });
    writeFileSync(join(cwd, "state/heartbeat.state.json"), JSON.stringify({ status: "connected", pid: alive.pid, updated_at: ago(1000) }));
    const r = await status([], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`state file   ${join(cwd, "state/heartbeat.state.json")}`);
  });

  test("a bad --max-age or a stray argument is a usage error (exit 2)", async () => {
    expect((await status(["--state", stateFile({}), "--max-age", "soon"])).code).toBe(2);
    const stray = await status(["myname"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--name");
  });

  test("--json gives the state file's fields plus healthy and problems", async () => {
    const path = stateFile({ updated_at: ago(60_000), reconnects: 7 });
    const r = await status(["--state", path, "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ status: "connected", pid: alive.pid, reconnects: 7, healthy: false, running: true, verdict: "stale", state_file: path });
    expect(json.problems).toEqual(["the heartbeat is 1m old (limit 30s): the recorder is frozen"]);
  });

  test("works on a kstlib state file", async () => {
    const kstlib = { timestamp: new Date(Date.now() - 3000).toISOString().replace("Z", "123+00:00"), pid: alive.pid, heartbeat_sessions: 1, websocket_reconnects: 3, candles_received: 12, last_candle_time: "2024-03-01T11:00:00+00:00", status: "connected", error: null, metadata: {} };
    const r = await status(["--state", stateFile(kstlib, true), "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ websocket_reconnects: 3, healthy: true, problems: [] });
  });

  test("a state written on another host is not judged dead by a local pid check", async () => {
    const r = await status(["--state", stateFile({ hostname: "elsewhere", pid: 2_000_000_000 })]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(another host: not checked)");
  });

  test("--name reads the session's state file and reports the session", async () => {
    const statePath = join(dir, "named", "state.json");
    await startSession({ tmux, name: "named", cwd: dir, command: [process.execPath, FAKE_RECORDER, "--state", statePath], runArgs: ["--state", statePath], statePath, logPath: join(dir, "named.log"), settleMs: 0 });
    await waitFor("the first heartbeat", () => existsSync(statePath));
    const r = await status(["--name", "named"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`state file   ${statePath}`);
    expect(r.stdout).toMatch(/tmux {9}session named: recorder pane %\d+, pid \d+/);
  });

  test("--name of a missing session is a problem (exit 1); a prefix does not count", async () => {
    const r = await status(["--name", "name", "--state", stateFile({}), "--json"]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.problems).toEqual(["there is no tmux session named name"]);
    expect(json.session).toEqual({ name: "name", exists: false, ours: false, recorder: null });
  });
});
