import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.ts";
import { isRunning, parentPid } from "../../src/tmux/process.ts";
import { findSession } from "../../src/tmux/sessions.ts";
import { startSession } from "../../src/tmux/start-session.ts";
import { stopSession } from "../../src/tmux/stop-session.ts";
import { FAKE_RECORDER, useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux } = useTmuxServer();
const dir = useTempDir();

/** Starts the stand-in recorder and waits for its first heartbeat. */
async function start(name: string, recorderArgs: string[] = []) {
  const statePath = join(dir, name, "state.json");
  const runArgs = ["--state", statePath, ...recorderArgs];
  const { recorder } = await startSession({ tmux, name, cwd: dir, command: [process.execPath, FAKE_RECORDER, ...runArgs], runArgs, statePath, logPath: join(dir, name, `${name}.log`), settleMs: 0 });
  await waitFor("the first heartbeat", () => existsSync(statePath));
  return { statePath, pid: recorder.pid, readState: () => JSON.parse(readFileSync(statePath, "utf8")) };
}

describe("stopSession", () => {
  test("stop while the recorder is mid-cleanup takes its time and exits 0", async () => {
    const { pid, readState } = await start("cleanup", ["--cleanup-ms", "1200"]);
    const result = await stopSession({ tmux, name: "cleanup", timeoutMs: 10_000 });
    expect(result).toMatchObject({ outcome: "stopped", pid, pidSource: "state-file", exitStatus: 0 });
    expect(result.waitedMs).toBeGreaterThanOrEqual(1200);
    expect(readState()).toMatchObject({ status: "stopped", stop_reason: "SIGTERM" });
    expect(await findSession(tmux, "cleanup")).toBeUndefined();
  });

  test("a recorder that ignores SIGTERM is killed at the timeout and the session is gone", async () => {
    const { pid, readState } = await start("stubborn", ["--ignore-term", "--cleanup-ms", "0"]);
    const result = await stopSession({ tmux, name: "stubborn", timeoutMs: 500 });
    expect(result).toMatchObject({ outcome: "killed", pid });
    expect(await findSession(tmux, "stubborn")).toBeUndefined();
    await waitFor("the recorder to be gone", () => !isRunning(pid));
    // It got SIGHUP from kill-session and cleaned up after all: the state says so.
    expect(readState().status).toBe("stopped");
  });

  test("a state file naming a stranger's pid is not trusted: the pane's own process is signalled", async () => {
    const stranger = Bun.spawn(["sleep", "30"]);
    try {
      const { statePath, pid } = await start("stale-state", ["--cleanup-ms", "0"]);
      const result = await stopSession({ tmux, name: "stale-state", timeoutMs: 5000, readStatePid: (path) => (path === statePath ? stranger.pid : undefined) });
      expect(result).toMatchObject({ outcome: "stopped", pid, pidSource: "pane" });
      expect(isRunning(stranger.pid)).toBe(true);
    } finally {
      stranger.kill();
    }
  });

  test("a recorder that is a child of the pane's process is the one signalled", async () => {
    const statePath = join(dir, "wrapped", "state.json");
    // A shell in the pane runs the recorder as its child (without exec).
    const command = ["sh", "-c", `"$0" "$1" --state "$2" --cleanup-ms 300; echo wrapper done; sleep 30`, process.execPath, FAKE_RECORDER, statePath];
    const { recorder } = await startSession({ tmux, name: "wrapped", cwd: dir, command, runArgs: ["--state", statePath], statePath, logPath: join(dir, "wrapped.log"), settleMs: 0 });
    await waitFor("the first heartbeat", () => existsSync(statePath));
    const childPid = JSON.parse(readFileSync(statePath, "utf8")).pid as number;
    expect(childPid).not.toBe(recorder.pid);
    expect(parentPid(childPid)).toBe(recorder.pid);
    const result = await stopSession({ tmux, name: "wrapped", timeoutMs: 5000 });
    expect(result).toMatchObject({ outcome: "stopped", pid: childPid, pidSource: "state-file" });
    expect(JSON.parse(readFileSync(statePath, "utf8")).status).toBe("stopped");
  });

  test("a recorder that already crashed: its session is closed and its exit status reported", async () => {
    const statePath = join(dir, "crashed", "state.json");
    const runArgs = ["--state", statePath, "--crash-after-ms", "50", "--exit-code", "9"];
    await startSession({ tmux, name: "crashed", cwd: dir, command: [process.execPath, FAKE_RECORDER, ...runArgs], runArgs, statePath, logPath: join(dir, "crashed.log"), settleMs: 3000 });
    const result = await stopSession({ tmux, name: "crashed" });
    expect(result).toMatchObject({ outcome: "already-exited", exitStatus: 9 });
    expect(await findSession(tmux, "crashed")).toBeUndefined();
  });

  test("no such session is a UserError, and a prefix never stops another session", async () => {
    const { pid } = await start("resilience-tmux");
    for (const name of ["resilience", "res"]) {
      const attempt = stopSession({ tmux, name });
      expect(attempt).rejects.toThrow(UserError);
      await attempt.catch(() => {});
    }
    expect(isRunning(pid)).toBe(true);
    expect((await findSession(tmux, "resilience-tmux"))?.recorder?.dead).toBe(false);
  });

  test("a session not made by start is refused, not stopped", async () => {
    await tmux.check(["new-session", "-d", "-s", "foreign", "--", "sleep", "30"]);
    const attempt = stopSession({ tmux, name: "foreign" });
    expect(attempt).rejects.toThrow(/not made by 'resilience start'/);
    await attempt.catch(() => {});
    expect(await findSession(tmux, "foreign")).toBeDefined();
  });
});

test("isRunning: a live process runs, a reaped one does not", async () => {
  const child = Bun.spawn(["sleep", "30"]);
  expect(isRunning(child.pid)).toBe(true);
  child.kill();
  await child.exited;
  expect(isRunning(child.pid)).toBe(false);
  expect(isRunning(-1)).toBe(false);
});
