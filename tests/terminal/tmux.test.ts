import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The key reader and the dashboard loop on a real terminal: a tmux pane, on a private
// tmux server (-L) so no other session is touched.
const PROBE = join(import.meta.dir, "tmux-probe.ts");
const SOCKET = `resilience-test-${process.pid}-${Date.now()}`;
const SESSION = "keys";
let dir: string;
let socketPath = "";
let windows = 0;

function tmux(...args: string[]): string {
  const proc = Bun.spawnSync(["tmux", "-L", SOCKET, ...args], { stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${proc.stderr.toString()}`);
  return proc.stdout.toString();
}

/** Quotes for sh. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Starts the probe in a new window; resolves once its key reader is running. */
async function startProbe(mode = "normal") {
  const name = `w${++windows}`;
  const out = join(dir, `${name}.log`);
  const stty = join(dir, `${name}.stty`);
  const command = `${q(process.execPath)} ${q(PROBE)} ${q(out)} ${mode}; echo "exit=$?" >> ${q(out)}; stty -a > ${q(stty)}`;
  tmux("new-window", "-d", "-t", SESSION, "-n", name, command);
  const target = `${SESSION}:${name}`;
  const read = () => (existsSync(out) ? readFileSync(out, "utf8") : "");
  const ready = await waitFor("the probe to start", () => read().match(/^ready (\d+) (\w+) (\S+)$/m) ?? undefined);
  return {
    target,
    pid: Number(ready[1]),
    active: ready[2],
    size: ready[3],
    lines: () => read().split("\n").filter((line) => line.startsWith("key ") || line === "stopped"),
    keys: (...keys: string[]) => tmux("send-keys", "-t", target, ...keys),
    screen: () => tmux("capture-pane", "-p", "-t", target),
    alternate: () => tmux("display-message", "-p", "-t", target, "#{alternate_on}").trim(),
    /** Resolves with the exit code line and the terminal's `stty -a` after the probe ended. */
    async ended() {
      const exit = await waitFor("the probe to exit", () => read().match(/^exit=(\d+)$/m)?.[1]);
      const modes = await waitFor("stty -a", () => (existsSync(stty) && readFileSync(stty, "utf8").includes("icanon") ? readFileSync(stty, "utf8") : ""));
      return { code: Number(exit), modes: modes.split(/\s+/) };
    },
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "resilience-keys-tmux-"));
  tmux("-f", "/dev/null", "new-session", "-d", "-s", SESSION, "-x", "100", "-y", "30", "-e", "LANG=C.UTF-8", "sh");
  tmux("set-option", "-g", "remain-on-exit", "on");
  socketPath = tmux("display-message", "-p", "#{socket_path}").trim();
});

afterAll(() => {
  try {
    tmux("kill-server");
  } catch {
    // Already gone.
  }
  // tmux leaves its socket file behind after kill-server.
  if (socketPath.includes(SOCKET)) rmSync(socketPath, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe("keys and dashboard in a real tmux pane", () => {
  test("shows the dashboard, counts d, quits on F10 and gives the terminal back", async () => {
    const probe = await startProbe();
    expect(probe.active).toBe("true");
    expect(probe.size).toBe("100x30");
    await waitFor("the dashboard", () => probe.screen().includes("CONNECTED"));
    expect(probe.alternate()).toBe("1");
    const screen = probe.screen().split("\n");
    expect(screen[29]).toStartWith("q/F10/Ctrl-C quit");
    expect(screen[0]).toContain("resilience 0.1.0 · rec-01");
    expect(screen[0]).toEndWith(" UTC"); // the last column is drawn, not erased
    expect(Bun.stringWidth(screen[0]!)).toBe(100);

    probe.keys("d");
    await waitFor("reconnects 1", () => probe.screen().includes("reconnects 1 reactive"));
    probe.keys("F10");
    const { code, modes } = await probe.ended();
    expect(probe.lines()).toEqual(["key d", "key f10", "stopped"]);
    expect(code).toBe(0);
    expect(modes).toContain("icanon");
    expect(modes).toContain("echo");
    expect(probe.alternate()).toBe("0");
    expect(probe.screen()).not.toContain("CONNECTED");
  });

  test("reads d and F10 sent in one chunk", async () => {
    const probe = await startProbe();
    probe.keys("d", "F10");
    const { code } = await probe.ended();
    expect(probe.lines()).toEqual(["key d", "key f10", "stopped"]);
    expect(code).toBe(0);
  });

  test("q quits", async () => {
    const probe = await startProbe();
    probe.keys("q");
    const { code, modes } = await probe.ended();
    expect(probe.lines()).toEqual(["key q", "stopped"]);
    expect(code).toBe(0);
    expect(modes).toContain("icanon");
  });

  test("Ctrl-C is a key in raw mode, not SIGINT: exit 0, not 130", async () => {
    const probe = await startProbe();
    probe.keys("C-c");
    const { code, modes } = await probe.ended();
    expect(probe.lines()).toEqual(["key ctrl-c", "stopped"]);
    expect(code).toBe(0);
    expect(modes).toContain("isig");
  });

  test("redraws to the new size when the pane is resized", async () => {
    const probe = await startProbe();
    await waitFor("the dashboard", () => probe.screen().includes("CONNECTED"));
    tmux("resize-window", "-t", probe.target, "-x", "80", "-y", "24");
    await waitFor("the footer on row 24", () => probe.screen().split("\n")[23]?.startsWith("q/F10/Ctrl-C quit"));
    expect(probe.screen().split("\n").every((line) => Bun.stringWidth(line) <= 80)).toBe(true);
    probe.keys("q");
    expect((await probe.ended()).code).toBe(0);
  });

  test("the arrow, page, Home and End keys tmux sends scroll 500 streams", async () => {
    const probe = await startProbe("many");
    const range = () => /STREAM (\d+)-(\d+)\/500/.exec(probe.screen())?.slice(1).map(Number);
    const [first, last] = await waitFor("the stream table", range);
    expect(first).toBe(1);
    const page = last! - first! + 1;
    expect(page).toBeGreaterThan(2);
    probe.keys("NPage");
    await waitFor("the second page", () => range()?.[0] === page + 1);
    probe.keys("Down");
    await waitFor("one row down", () => range()?.[0] === page + 2);
    probe.keys("Up", "PPage");
    await waitFor("back to the top", () => range()?.[0] === 1);
    probe.keys("End");
    await waitFor("the last page", () => range()?.[1] === 500);
    expect(probe.screen()).toMatch(/^▶ SYM0400USDT@1m +retired/m); // the last of 500, by name
    probe.keys("Home");
    await waitFor("the top again", () => range()?.[0] === 1);
    probe.keys("q");
    expect((await probe.ended()).code).toBe(0);
    expect(probe.lines()).toEqual(["key pgdn", "key down", "key up", "key pgup", "key end", "key home", "key q", "stopped"]);
  });

  test("a signal nobody handles still ends the process, and the screen is given back", async () => {
    const probe = await startProbe();
    await waitFor("the dashboard", () => probe.screen().includes("CONNECTED"));
    process.kill(probe.pid, "SIGTERM");
    const { code, modes } = await probe.ended();
    expect(code).toBe(143);
    expect(modes).toContain("icanon");
    expect(modes).toContain("echo");
    expect(probe.alternate()).toBe("0");
  });

  test("a crash gives the terminal back and its stack trace stays readable", async () => {
    const probe = await startProbe("crash");
    await waitFor("the dashboard", () => probe.screen().includes("CONNECTED"));
    probe.keys("r");
    const { code, modes } = await probe.ended();
    expect(code).toBe(1);
    expect(modes).toContain("icanon");
    expect(modes).toContain("echo");
    expect(probe.alternate()).toBe("0");
    expect(probe.screen()).toContain("crash on r");
  });
});
