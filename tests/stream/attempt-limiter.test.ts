import { expect, test } from "bun:test";
import { BINANCE_ATTEMPTS_PER_WINDOW, BINANCE_ATTEMPT_WINDOW_MS, createAttemptLimiter, nextAttemptAt } from "../../src/stream/attempt-limiter.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

test("the first attempt runs at once; the next waits the minimum spacing", async () => {
  const clock = new FakeClock(1_000_000);
  const limiter = createAttemptLimiter({ clock, minSpacingMs: 100 });
  const ran: number[] = [];
  limiter.schedule(() => ran.push(clock.now()));
  limiter.schedule(() => ran.push(clock.now()));
  expect(ran).toEqual([1_000_000]);
  expect(limiter.waiting).toBe(1);
  await clock.advance(100);
  expect(ran).toEqual([1_000_000, 1_000_100]);
});

test("a storm of 1,000 reconnects never makes more than the window allows in any 5 minutes", async () => {
  const clock = new FakeClock(0);
  const limiter = createAttemptLimiter({ clock });
  const ran: number[] = [];
  for (let i = 0; i < 1000; i++) limiter.schedule(() => ran.push(clock.now()));
  for (let t = 0; t < 30 * 60_000 && ran.length < 1000; t += 1000) await clock.advance(1000);
  expect(ran.length).toBe(1000);
  for (let i = 0; i < ran.length; i++) {
    const inWindow = ran.filter((t) => t > ran[i]! - BINANCE_ATTEMPT_WINDOW_MS && t <= ran[i]!).length;
    expect(inWindow).toBeLessThan(BINANCE_ATTEMPTS_PER_WINDOW);
  }
});

test("a cancelled attempt never runs", async () => {
  const clock = new FakeClock(0);
  const limiter = createAttemptLimiter({ clock });
  let second = false;
  limiter.schedule(() => {});
  const cancel = limiter.schedule(() => (second = true));
  cancel();
  await clock.advance(10_000);
  expect(second).toBe(false);
  expect(limiter.waiting).toBe(0);
});

test("nextAttemptAt: a full window waits until its oldest attempt leaves it", () => {
  const made = [0, 10, 20];
  expect(nextAttemptAt(made, 30, { max: 3, windowMs: 1000, spacingMs: 0 })).toBe(1001);
  expect(nextAttemptAt([0, 10], 30, { max: 3, windowMs: 1000, spacingMs: 0 })).toBe(30);
  expect(nextAttemptAt([0, 10], 30, { max: 3, windowMs: 1000, spacingMs: 50 })).toBe(60);
});
