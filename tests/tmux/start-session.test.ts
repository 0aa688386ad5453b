import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.ts";
import { findSession, listSessions } from "../../src/tmux/sessions.ts";
import { recorderRunArgs, shellQuote, startSession, type StartSessionOptions } from "../../src/tmux/start-session.ts";
import { FAKE_RECORDER, useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux } = useTmuxServer();
const dir = useTempDir();

/** Starts the stand-in recorder in session `name`, with its files under `dir`. */
function start(name: string, extra: Partial<StartSessionOptions> = {}, recorderArgs: string[] = []) {
  const statePath = join(dir, name, "state.json");
  const logPath = join(dir, name, "logs", `${name}.log`);
  const runArgs = ["--state", statePath, ...recorderArgs];
  return startSession({ tmux, name, cwd: dir, command: [process.execPath, FAKE_RECORDER, ...runArgs], runArgs, statePath, logPath, settleMs: 300, ...extra }).then((r) => ({ ...r, statePath, logPath }));
}

describe("startSession", () => {
  test("marks the session as ours with its state file, log file and run arguments", async () => {
    const { recorder, exitedAtOnce, statePath, logPath } = await start("marked");
    expect(exitedAtOnce).toBe(false);
    const info = await findSession(tmux, "marked");
    expect(info).toMatchObject({ name: "marked", ours: true, statePath, logPath, runArgs: ["--state", statePath], attached: false, windows: 1 });
    expect(info?.recorder).toEqual({ id: recorder.id, pid: recorder.pid, dead: false, exitStatus: null });
    // The pane runs the recorder itself (no shell): its pid is the one in the state file.
    const state = await waitFor("the state file", () => existsSync(statePath) && JSON.parse(readFileSync(statePath, "utf8")));
    expect(state.pid).toBe(recorder.pid);
  });

  test("the pane works in the given directory and its output goes to the log file", async () => {
    const { logPath } = await start("logged");
    const log = await waitFor("two ticks in the log", () => existsSync(logPath) && /tick 2/.test(readFileSync(logPath, "utf8")) && readFileSync(logPath, "utf8"));
    expect(log).toContain(`writing ${join(dir, "logged", "state.json")}`);
    const cwd = await tmux.check(["display-message", "-p", "-t", "=logged:", "#{pane_start_path}"]);
    expect(cwd.trim()).toBe(dir);
  });

  test("a session name that exists already is a UserError (exit 2), and nothing is touched", async () => {
    const first = await start("twice");
    const again = start("twice");
    expect(again).rejects.toThrow(UserError);
    await again.catch(() => {});
    expect((await findSession(tmux, "twice"))?.recorder?.pid).toBe(first.recorder.pid);
  });

  test("an invalid session name is a UserError before tmux is asked", async () => {
    for (const name of ["", "1abc", "has space", "semi;colon", "a".repeat(65), "dot.name", "=exact"]) {
      expect(start(name)).rejects.toThrow(UserError);
    }
  });

  test("prefix names never match another session", async () => {
    await start("resilience-tmux");
    expect(await findSession(tmux, "resilience")).toBeUndefined();
    expect(await findSession(tmux, "res")).toBeUndefined();
    // ...and "res" can be started beside it: the name is free.
    const { exitedAtOnce } = await start("res");
    expect(exitedAtOnce).toBe(false);
    expect((await findSession(tmux, "res"))?.recorder?.pid).not.toBe((await findSession(tmux, "resilience-tmux"))?.recorder?.pid);
  });

  test("a crashed pane stays inspectable and its log file survives", async () => {
    const { exitedAtOnce, recorder, logPath } = await start("crashing", { settleMs: 3000 }, ["--crash-after-ms", "100", "--exit-code", "7"]);
    expect(exitedAtOnce).toBe(true);
    expect(recorder).toMatchObject({ dead: true, exitStatus: 7 });
    const screen = await tmux.check(["capture-pane", "-p", "-t", recorder.id]);
    expect(screen).toContain("crashing on purpose");
    await waitFor("the crash in the log", () => readFileSync(logPath, "utf8").includes("crashing on purpose"));
    await tmux.check(["kill-session", "-t", "=crashing"]);
    expect(readFileSync(logPath, "utf8")).toContain("crashing on purpose");
  });

  test("--with-watchdog opens a second window with its own log, and the recorder window stays current", async () => {
    const { statePath } = await start("watched", { watchdogCommand: ["sh", "-c", 'echo "watching $0"; exec sleep 30', "STATE"] });
    const info = await findSession(tmux, "watched");
    expect(info?.windows).toBe(2);
    expect(info?.watchdog?.dead).toBe(false);
    const active = await tmux.check(["display-message", "-p", "-t", "=watched:", "#{window_name} #{pane_id}"]);
    expect(active.trim()).toBe(`recorder ${info?.recorder?.id}`);
    const wdLog = join(dir, "watched", "logs", "watched-watchdog.log");
    await waitFor("the watchdog log", () => existsSync(wdLog) && readFileSync(wdLog, "utf8").includes("watching STATE"));
    expect(statePath).toEndWith("state.json");
  });

  test("a log path with spaces, quotes, # and $ is written where asked", async () => {
    const logPath = join(dir, "odd dir 'q' #{x} $HOME", "it's.log");
    await start("oddlog", { logPath });
    await waitFor("the odd log", () => existsSync(logPath) && readFileSync(logPath, "utf8").includes("tick 1"));
  });

  test("listSessions lists only the sessions start made", async () => {
    await tmux.check(["new-session", "-d", "-s", "stranger", "--", "sleep", "30"]);
    const names = (await listSessions(tmux)).map((s) => s.name);
    expect(names).toContain("marked");
    expect(names).toContain("resilience-tmux");
    expect(names).not.toContain("stranger");
    expect((await findSession(tmux, "stranger"))?.ours).toBe(false);
  });

  test("variables like RESILIENCE_* reach a session started on a server that already runs", async () => {
    process.env.RESILIENCE_TEST_CARRIED = "carried-value";
    try {
      const out = join(dir, "env.txt");
      await startSession({
        tmux, name: "envcheck", cwd: dir, runArgs: [], statePath: join(dir, "x.json"), logPath: join(dir, "env.log"), settleMs: 0,
        command: ["sh", "-c", 'echo "$RESILIENCE_TEST_CARRIED" > "$0"; exec sleep 30', out],
      });
      expect(await waitFor("the env file", () => existsSync(out) && readFileSync(out, "utf8"))).toBe("carried-value\n");
    } finally {
      delete process.env.RESILIENCE_TEST_CARRIED;
    }
  });
});

test.each([
  [[], ["--no-dashboard"]],
  [["--symbol", "X"], ["--no-dashboard", "--symbol", "X"]],
  [["--dashboard"], ["--dashboard"]],
  [["--no-dashboard", "--symbol", "X"], ["--no-dashboard", "--symbol", "X"]],
  [["--dashboard=false"], ["--dashboard=false"]],
  [["--", "--dashboard"], ["--no-dashboard", "--", "--dashboard"]],
])("the recorder in the pane gets %j -> %j", (args, expected) => {
  expect(recorderRunArgs(args)).toEqual(expected);
});

test.each([
  ["plain", "'plain'"],
  ["it's", `'it'\\''s'`],
  ["$x `y` \"z\"", `'$x \`y\` "z"'`],
])("shellQuote(%p) = %p", (text, quoted) => {
  expect(shellQuote(text)).toBe(quoted);
});
