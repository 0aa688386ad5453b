import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { planAttach, socketPath } from "../../src/tmux/attach.ts";
import { systemClock } from "../../src/clock.ts";
import { findSession, settledPane } from "../../src/tmux/sessions.ts";
import { startSession } from "../../src/tmux/start-session.ts";
import { CLI, FAKE_RECORDER, useExtraTmuxServer, useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux, socket } = useTmuxServer();
// Second servers whose panes give a client a real terminal.
const outerForAttach = useExtraTmuxServer(`${socket}-outer`);
const outerForSwitch = useExtraTmuxServer(`${socket}-client`);
const dir = useTempDir();

describe("planAttach", () => {
  const ours = "/tmp/tmux-0/mine";
  test.each([
    ["outside tmux", undefined, ["attach-session", "-t", "=rec"], []],
    ["inside our server", `${ours},123,0`, ["switch-client", "-t", "=rec"], []],
    ["inside another server", "/tmp/tmux-0/default,99,1", ["attach-session", "-t", "=rec"], ["TMUX"]],
    ["inside a server whose path has commas", "/tmp/a,b/x,5,0", ["attach-session", "-t", "=rec"], ["TMUX"]],
  ])("%s", (_, tmuxEnv, args, unsetEnv) => {
    expect(planAttach("rec", tmuxEnv, ours)).toEqual({ args, unsetEnv });
  });

  test("socketPath follows TMUX_TMPDIR, the uid and -L", () => {
    expect(socketPath("x", { TMUX_TMPDIR: "/run/t" }, 1000)).toBe("/run/t/tmux-1000/x");
    expect(socketPath(undefined, {}, 0)).toBe("/tmp/tmux-0/default");
  });
});

/** A session running the stand-in recorder, for a client to attach to. */
async function recorderSession(name: string) {
  const statePath = join(dir, `${name}.json`);
  await startSession({ tmux, name, cwd: dir, command: [process.execPath, FAKE_RECORDER, "--state", statePath], runArgs: ["--state", statePath], statePath, logPath: join(dir, `${name}.log`), settleMs: 0 });
}

test("attach from a terminal inside another tmux server attaches a client (not nested-refused)", async () => {
  await recorderSession("target");
  const outer = outerForAttach;
  try {
    // The outer pane is a real terminal with $TMUX naming the outer server.
    await outer.check(
      ["new-session", "-d", "-s", "outer", "-x", "120", "-y", "40", "--", process.execPath, CLI, "attach", "--name", "target"],
      ["set-option", "-w", "remain-on-exit", "on"],
    );
    await waitFor("a client on the target session", async () => (await findSession(tmux, "target"))?.attached);
    await tmux.check(["detach-client", "-s", "=target"]);
    const paneId = (await outer.check(["display-message", "-p", "-t", "=outer:", "#{pane_id}"])).trim();
    const pane = await waitFor("attach to return", async () => {
      const found = await settledPane(outer, paneId, "outer", systemClock, 100);
      return found?.dead && found.exitStatus !== null ? found : undefined;
    });
    expect(pane.exitStatus).toBe(0);
  } finally {
    await outer.run(["kill-server"]);
  }
});

test("attach from inside the same server switches the client to the session", async () => {
  await recorderSession("second");
  const outer = outerForSwitch;
  const tmuxBin = Bun.which("tmux")!;
  // Session "first" waits for a client, then runs `resilience attach --name second` in its pane.
  const script = `until [ -n "$("$0" -L "$1" list-clients)" ]; do sleep 0.05; done; "$2" "$3" attach --name second; sleep 30`;
  await tmux.check(["new-session", "-d", "-s", "first", "--", "sh", "-c", script, tmuxBin, socket, process.execPath, CLI]);
  try {
    // A real client (in a terminal provided by another server) attached to "first".
    await outer.check(["new-session", "-d", "-s", "client", "-x", "120", "-y", "40", "--", tmuxBin, "-L", socket, "attach-session", "-t", "=first"]);
    const session = await waitFor("the client to switch to second", async () => {
      const clients = (await tmux.run(["list-clients", "-F", "#{client_session}"])).stdout.trim();
      return clients === "second" ? clients : undefined;
    });
    expect(session).toBe("second");
  } finally {
    await outer.run(["kill-server"]);
  }
});
