import { describe, expect, test } from "bun:test";
import { flushPending, parseKeys, type Key } from "../../src/terminal/keys.ts";

describe("parseKeys", () => {
  test.each<[string, string, Key[]]>([
    ["q", "q", ["q"]],
    ["Q (caps lock)", "Q", ["q"]],
    ["d and r", "dr", ["d", "r"]],
    ["F10 under tmux and xterm", "\x1b[21~", ["f10"]],
    ["shift-F10", "\x1b[21;2~", ["f10"]],
    ["Ctrl-C in raw mode (a byte, not SIGINT)", "\x03", ["ctrl-c"]],
    ["Ctrl-D", "\x04", ["ctrl-d"]],
    ["tab and shift-tab", "\t\x1b[Z", ["tab", "shift-tab"]],
    ["enter as CR or LF", "\r\n", ["enter", "enter"]],
    ["arrows, normal and application mode", "\x1b[A\x1b[B\x1bOC\x1bOD", ["up", "down", "right", "left"]],
    ["ctrl-arrow", "\x1b[1;5A", ["up"]],
    ["PgUp and PgDn (xterm, tmux, rxvt, Linux console)", "\x1b[5~\x1b[6~", ["pgup", "pgdn"]],
    ["ctrl-PgDn", "\x1b[6;5~", ["pgdn"]],
    ["Home and End, xterm", "\x1b[H\x1b[F", ["home", "end"]],
    ["Home and End, xterm in application mode", "\x1bOH\x1bOF", ["home", "end"]],
    ["Home and End, tmux, screen and the Linux console", "\x1b[1~\x1b[4~", ["home", "end"]],
    ["Home and End, rxvt", "\x1b[7~\x1b[8~", ["home", "end"]],
    ["ctrl-Home", "\x1b[1;5H", ["home"]],
    ["scroll keys between letters", "d\x1b[6~q\x1b[B", ["d", "pgdn", "q", "down"]],
    ["Insert and Delete are not ours", "\x1b[2~\x1b[3~", []],
    ["d then F10 in one read (tmux send-keys d F10)", "d\x1b[21~", ["d", "f10"]],
    ["F10 between other keys", "x\x1b[21~q", ["f10", "q"]],
    ["other letters and function keys are skipped", "xyz\x1bOP\x1b[15~\x1b[20~\x1b[24~", []],
    ["Alt+q is not q", "\x1bq", []],
    ["Linux console F1", "\x1b[[A", []],
    ["two ESCs: the first is Escape", "\x1b\x1b[21~", ["escape", "f10"]],
    ["a broken sequence is dropped and reading goes on", "\x1b[2\x03", ["ctrl-c"]],
    ["UTF-8 text", "é日q", ["q"]],
  ])("%s", (_name, bytes, expected) => {
    expect(parseKeys(bytes)).toEqual({ keys: expected, pending: "" });
  });

  test.each(["\x1b", "\x1b[", "\x1b[2", "\x1b[21", "\x1b[21;", "\x1bO", "\x1b[[", "\x1b[5", "\x1b[6"])("keeps the unfinished %j as pending", (cut) => {
    expect(parseKeys(`d${cut}`)).toEqual({ keys: ["d"], pending: cut });
  });

  test("completes a sequence split across reads, byte by byte", () => {
    const keys: Key[] = [];
    let pending = "";
    for (const byte of "q\x1b[21~d\x1b[5~\x1b[F") {
      const parsed = parseKeys(byte, pending);
      keys.push(...parsed.keys);
      pending = parsed.pending;
    }
    expect(keys).toEqual(["q", "f10", "d", "pgup", "end"]);
    expect(pending).toBe("");
  });

  test("gives up on a sequence that never ends instead of waiting forever", () => {
    expect(parseKeys(`\x1b[${"1;".repeat(40)}`)).toEqual({ keys: [], pending: "" });
    expect(parseKeys("1;".repeat(20), "\x1b[")).toEqual({ keys: [], pending: "" });
    expect(parseKeys("q", "")).toEqual({ keys: ["q"], pending: "" });
  });
});

test("flushPending: a lone ESC is Escape, a cut sequence is nothing", () => {
  expect(flushPending("\x1b")).toEqual(["escape"]);
  expect(flushPending("\x1b[2")).toEqual([]);
  expect(flushPending("")).toEqual([]);
});
