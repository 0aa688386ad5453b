import { expect, test } from "bun:test";
import { createConsola } from "consola";
import { createLogTail } from "../../src/dashboard/log-tail.ts";

test("collects log lines from a real consola logger, tagged and levelled", () => {
  const tail = createLogTail();
  const log = createConsola({ level: 4, reporters: [tail.reporter] });
  log.withTag("stream").warn("no message for", 60, "s");
  log.success("backfilled 3 candles");
  log.error(new Error("connect failed"));
  log.info({ symbol: "BTCUSDT" });
  log.debug("detail");
  const entries = tail.entries();
  expect(entries.map((e) => [e.level, e.message])).toEqual([
    ["warn", "[stream] no message for 60 s"],
    ["success", "backfilled 3 candles"],
    ["error", "connect failed"],
    ["info", '{ symbol: "BTCUSDT" }'],
    ["debug", "detail"],
  ]);
  expect(Math.abs(entries[0]!.at - Date.now())).toBeLessThan(60_000);
});

test("keeps only the newest entries, and hands out copies", () => {
  const tail = createLogTail({ limit: 3 });
  const log = createConsola({ level: 3, reporters: [tail.reporter] });
  for (let i = 1; i <= 5; i++) log.info(`line ${i}`);
  const entries = tail.entries();
  expect(entries.map((e) => e.message)).toEqual(["line 3", "line 4", "line 5"]);
  entries.pop();
  expect(tail.entries()).toHaveLength(3);
});
