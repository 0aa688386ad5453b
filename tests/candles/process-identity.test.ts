import { describe, expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { currentBootId, currentPidNamespace, ownStartTime, parseProcStat, readProcStat } from "../../src/candles/process-identity.ts";

/** A /proc/<pid>/stat line: fields 4 to 21 are filler, field 22 is `start`. */
const stat = (comm: string, state: string, start: number | string) =>
  `4242 (${comm}) ${state} ${Array.from({ length: 18 }, (_, i) => i + 4).join(" ")} ${start} 7 8 9\n`;

describe("parseProcStat", () => {
  test.each([
    ["a plain name", stat("bun", "S", 51938), { state: "S", startTime: 51938 }],
    ["a name with spaces", stat("my recorder", "R", 12), { state: "R", startTime: 12 }],
    ["a name with ) and (", stat("a) Z 1 (b))", "S", 99), { state: "S", startTime: 99 }],
    ["a zombie", stat("sleep", "Z", 5), { state: "Z", startTime: 5 }],
  ])("reads field 22 after %s", (_, line, expected) => {
    expect(parseProcStat(line)).toEqual(expected);
  });

  test.each([
    ["no parentheses", "4242 bun S 1 2 3"],
    ["too few fields", "4242 (bun) S 1 2 3"],
    ["a start time that is no number", stat("bun", "S", "soon")],
  ])("answers undefined for %s", (_, line) => {
    expect(parseProcStat(line)).toBeUndefined();
  });
});

describe("this process", () => {
  test("its start time is field 22 of /proc/self/stat and stays put", () => {
    const own = readFileSync("/proc/self/stat", "utf8");
    expect(ownStartTime()).toBe(Number(own.slice(own.lastIndexOf(")") + 2).split(" ")[19]));
    expect(readProcStat(process.pid)?.startTime).toBe(ownStartTime()!);
  });

  test("the boot id is the kernel's", () => {
    expect(currentBootId()).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  });

  test("the pid namespace is the link of /proc/self/ns/pid", () => {
    expect(currentPidNamespace()).toBe(readlinkSync("/proc/self/ns/pid"));
    expect(currentPidNamespace()).toMatch(/^pid:\[\d+\]$/);
  });

  test("a process that is gone has no stat", async () => {
    const child = Bun.spawn(["true"]);
    await child.exited;
    expect(readProcStat(child.pid)).toBeUndefined();
  });
});
