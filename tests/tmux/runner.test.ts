import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.ts";
import { chainArgs, createTmuxRunner, escapeFormat, isNoServer, tmuxFromEnv } from "../../src/tmux/runner.ts";
import { useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux, socket } = useTmuxServer();
const dir = useTempDir();

describe("chainArgs", () => {
  test.each([
    [[["a", "b"]], ["a", "b"]],
    [[["a"], ["b", "c"]], ["a", ";", "b", "c"]],
    [[["x;"]], ["x\\;"]],
    [[[";"]], ["\\;"]],
    [[["x\\;"]], ["x\\\\;"]],
    [[["a;b"]], ["a;b"]],
  ])("%j -> %j", (commands, argv) => {
    expect(chainArgs(commands)).toEqual(argv);
  });
});

test("escapeFormat doubles every #", () => {
  expect(escapeFormat("/tmp/a #{x} ##")).toBe("/tmp/a ##{x} ####");
});

test("arguments reach the pane's program verbatim: no shell, no tmux separators, no formats", async () => {
  const out = join(dir, "args.txt");
  const nasty = ["two words", "semi;", ";", "back\\;", "$HOME", "`id`", "#{session_name}", "'quote\"", ""];
  await tmux.check(["new-session", "-d", "-s", "argv", "--", "sh", "-c", 'printf "%s\\n" "$@" > "$0"', out, ...nasty]);
  const text = await waitFor("the args file", () => {
    try {
      const t = readFileSync(out, "utf8");
      return t.split("\n").length > nasty.length ? t : undefined;
    } catch {
      return undefined;
    }
  });
  expect(text).toBe(nasty.join("\n") + "\n");
});

test("a missing tmux is a UserError that says how to install it", () => {
  const runner = createTmuxRunner({ env: { PATH: mkdtempSync(join(tmpdir(), "empty-path-")) } });
  expect(() => runner.argv(["ls"])).toThrow(UserError);
  expect(() => runner.argv(["ls"])).toThrow(/apt-get install tmux/);
});

test("tmuxFromEnv uses RESILIENCE_TMUX_SOCKET as -L", () => {
  expect(tmuxFromEnv({ PATH: process.env.PATH, RESILIENCE_TMUX_SOCKET: "mine" }).argv(["ls"]).slice(1)).toEqual(["-L", "mine", "ls"]);
  expect(tmuxFromEnv({ PATH: process.env.PATH }).argv(["ls"]).slice(1)).toEqual(["ls"]);
  expect(socket).toStartWith("resilience-test-");
});

test("a socket with no server reads as 'no server', not as a failure", async () => {
  const result = await createTmuxRunner({ socket: `${socket}-none` }).run(["list-sessions"]);
  expect(isNoServer(result)).toBe(true);
});
