import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHeartbeat, stateTouchDelayMs } from "../../src/state/heartbeat.ts";
import type { RecorderState } from "../../src/state/state-file.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hb-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(touchDelayMs?: number) {
  const clock = new FakeClock(Date.UTC(2026, 10, 30));
  const path = join(dir, "state.json");
  let builds = 0;
  const heartbeat = createHeartbeat({ path, clock, intervalMs: 5000, touchDelayMs, build: () => ({ status: "connected", candles_written: ++builds }) as unknown as RecorderState });
  const written = () => (JSON.parse(readFileSync(path, "utf8")) as { candles_written: number }).candles_written;
  return { clock, heartbeat, written, path };
}

test("the state file is written at start, every interval, and shortly after a change (changes in between share one write)", async () => {
  const { clock, heartbeat, written, path } = setup();
  expect(existsSync(path)).toBe(true);
  expect(written()).toBe(1);
  heartbeat.touch();
  heartbeat.touch();
  await clock.advance(50);
  expect(written()).toBe(2);
  await clock.advance(5000);
  expect(written()).toBe(3);
  heartbeat.stop();
});

test("with many streams, changes are written at most once a second", async () => {
  const { clock, heartbeat, written } = setup(1000);
  for (let i = 0; i < 20; i++) {
    heartbeat.touch();
    await clock.advance(40);
  }
  // 800 ms of changes every 40 ms: not written yet, then once.
  expect(written()).toBe(1);
  await clock.advance(200);
  expect(written()).toBe(2);
  heartbeat.stop();
});

test("state changes of a few streams are written at once, of hundreds once a second", () => {
  expect(stateTouchDelayMs(3)).toBe(50);
  expect(stateTouchDelayMs(1500)).toBe(1000);
});
