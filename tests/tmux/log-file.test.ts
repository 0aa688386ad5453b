import { describe, expect, test } from "bun:test";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { followFile, readLastLines } from "../../src/tmux/log-file.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { useTempDir } from "../helpers/tmux-server.ts";

const dir = useTempDir("resilience-logs-");
let n = 0;
const file = (text: string) => {
  const path = join(dir, `log-${n++}.log`);
  writeFileSync(path, text);
  return path;
};

describe("readLastLines", () => {
  test.each([
    ["a\nb\nc\n", 2, "b\nc\n"],
    ["a\nb\nc", 2, "b\nc"],
    ["a\nb\nc\n", 10, "a\nb\nc\n"],
    ["a\nb\nc\n", 0, ""],
    ["", 5, ""],
    ["\n\n\n", 2, "\n\n"],
    ["one line", 1, "one line"],
    ["a\r\nb\r\n", 1, "b\r\n"],
  ])("%j, last %i -> %j", (text, lines, expected) => {
    const path = file(text);
    const { text: out, end } = readLastLines(path, lines);
    expect(out.toString()).toBe(expected);
    expect(end).toBe(Buffer.byteLength(text));
  });

  test("lines spanning the 64 KiB read chunks come out whole", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`);
    const path = file(lines.join("\n") + "\n");
    expect(readLastLines(path, 1234).text.toString()).toBe(lines.slice(-1234).join("\n") + "\n");
    expect(readLastLines(path, 99_999).text.toString()).toBe(lines.join("\n") + "\n");
  });
});

describe("followFile", () => {
  test("prints what is appended, starts over after a truncation, and ends on abort", async () => {
    const path = file("old\n");
    const clock = new FakeClock();
    const stop = new AbortController();
    const seen: string[] = [];
    const done = followFile(path, { from: 4, clock, signal: stop.signal, pollMs: 100, onData: (c) => seen.push(c.toString()) });
    appendFileSync(path, "new 1\n");
    await clock.advance(100);
    appendFileSync(path, "new 2\n");
    await clock.advance(100);
    expect(seen.join("")).toBe("new 1\nnew 2\n");
    writeFileSync(path, "rotated\n");
    await clock.advance(100);
    expect(seen.join("")).toBe("new 1\nnew 2\nrotated\n");
    stop.abort();
    await done;
  });
});
