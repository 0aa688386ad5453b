import { afterEach, expect, test } from "bun:test";
import { createLogTail } from "../../src/dashboard/log-tail.ts";
import { logger, setLogSink, type LogSink } from "../../src/logger.ts";

let restore: LogSink | undefined;
afterEach(() => {
  if (restore) setLogSink(restore);
  restore = undefined;
});

test("collects the process logger's records instead of printing them", () => {
  const tail = createLogTail();
  restore = setLogSink(tail.sink);
  const level = logger.level;
  logger.level = 4;
  try {
    logger.withTag("stream").warn("no message for", 60, "s");
    logger.error(new Error("connect failed"));
    logger.info({ symbol: "BTCUSDT" });
    logger.debug("detail");
  } finally {
    logger.level = level;
  }
  const entries = tail.entries();
  expect(entries.map((e) => e.level)).toEqual(["warn", "error", "info", "debug"]);
  expect(entries[0]!.message).toBe("no message for 60 s");
  expect(entries[1]!.message).toContain("connect failed");
  expect(entries[2]!.message).toContain("BTCUSDT");
  expect(Math.abs(entries[0]!.at - Date.now())).toBeLessThan(60_000);
});

test("keeps only the newest entries, and hands out copies", () => {
  const tail = createLogTail({ limit: 3 });
  for (let i = 1; i <= 5; i++) tail.sink(`line ${i}`, { at: i, level: i === 5 ? "ERROR" : "INFO", message: `line ${i}` });
  const entries = tail.entries();
  expect(entries).toEqual([
    { at: 3, level: "info", message: "line 3" },
    { at: 4, level: "info", message: "line 4" },
    { at: 5, level: "error", message: "line 5" },
  ]);
  entries.pop();
  expect(tail.entries()).toHaveLength(3);
});
