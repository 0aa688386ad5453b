import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { createKeyReader, type KeyInput } from "../../src/terminal/key-reader.ts";
import type { Key } from "../../src/terminal/keys.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

/** A stand-in for a TTY stdin that records mode changes (the real one is tested in tmux). */
class TtyInput extends EventEmitter implements KeyInput {
  isTTY = true;
  isRaw = false;
  modes: boolean[] = [];
  flowing = false;
  setRawMode(raw: boolean) {
    this.isRaw = raw;
    this.modes.push(raw);
  }
  resume() {
    this.flowing = true;
  }
  pause() {
    this.flowing = false;
  }
}

function start(stdin: KeyInput, clock = new FakeClock()) {
  const keys: Key[] = [];
  const reader = createKeyReader({ stdin, clock, onKey: (k) => keys.push(k) });
  return { keys, reader, clock };
}

test("reads keys in raw mode and restores the previous mode on stop", () => {
  const stdin = new TtyInput();
  const { keys, reader } = start(stdin);
  expect(reader.active).toBe(true);
  expect(stdin.isRaw).toBe(true);
  expect(stdin.flowing).toBe(true);
  stdin.emit("data", Buffer.from("d\x1b[21~"));
  stdin.emit("data", "\x03");
  expect(keys).toEqual(["d", "f10", "ctrl-c"]);
  reader.stop();
  reader.stop();
  expect(stdin.modes).toEqual([true, false]);
  expect(stdin.flowing).toBe(false);
  stdin.emit("data", "q");
  expect(keys).toEqual(["d", "f10", "ctrl-c"]);
});

test("leaves a terminal that was already raw in raw mode", () => {
  const stdin = new TtyInput();
  stdin.isRaw = true;
  start(stdin).reader.stop();
  expect(stdin.modes).toEqual([true, true]);
});

test("joins an escape sequence split across reads", () => {
  const stdin = new TtyInput();
  const { keys, reader } = start(stdin);
  stdin.emit("data", Buffer.from("\x1b[2"));
  stdin.emit("data", Buffer.from("1~q"));
  expect(keys).toEqual(["f10", "q"]);
  reader.stop();
});

test("a lone ESC becomes Escape after the timeout, not before", async () => {
  const stdin = new TtyInput();
  const { keys, reader, clock } = start(stdin);
  stdin.emit("data", "\x1b");
  await clock.advance(49);
  expect(keys).toEqual([]);
  await clock.advance(1);
  expect(keys).toEqual(["escape"]);
  reader.stop();
});

test("stop cancels a pending ESC timeout", async () => {
  const stdin = new TtyInput();
  const { keys, reader, clock } = start(stdin);
  stdin.emit("data", "\x1b");
  reader.stop();
  await clock.advance(1000);
  expect(keys).toEqual([]);
  expect(clock.pending).toBe(0);
});

test("stops delivering keys from a chunk once stopped by one of them", () => {
  const stdin = new TtyInput();
  const keys: Key[] = [];
  const reader = createKeyReader({
    stdin,
    onKey(k) {
      keys.push(k);
      if (k === "q") reader.stop();
    },
  });
  stdin.emit("data", "dqr");
  expect(keys).toEqual(["d", "q"]);
});

test("is a no-op when stdin is not a TTY (setRawMode missing, as under nohup)", () => {
  const stdin = new TtyInput();
  stdin.isTTY = false;
  const { reader } = start(stdin);
  expect(reader.active).toBe(false);
  expect(stdin.modes).toEqual([]);
  expect(stdin.flowing).toBe(false);
  expect(stdin.listenerCount("data")).toBe(0);
  reader.stop();

  const noRawMode = { isTTY: true, on() {}, off() {}, resume() {}, pause() {} } satisfies KeyInput;
  expect(createKeyReader({ stdin: noRawMode, onKey() {} }).active).toBe(false);
});

test("is a no-op on a real stdin that is not a terminal (</dev/null)", async () => {
  const script = `
    import { createKeyReader } from "./src/terminal/key-reader.ts";
    const reader = createKeyReader({ onKey() {} });
    reader.stop();
    console.log(JSON.stringify({ active: reader.active, isTTY: process.stdin.isTTY ?? null, setRawMode: typeof process.stdin.setRawMode }));
  `;
  const proc = Bun.spawn([process.execPath, "-e", script], { cwd: join(import.meta.dir, "../.."), stdin: Bun.file("/dev/null"), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(err).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({ active: false, isTTY: null, setRawMode: "undefined" });
});
