import { expect, test } from "bun:test";
import { nextRestartBoundary, nextRestartPlan } from "../../src/supervisor/restart-schedule.ts";
import { backoffDelayMs } from "../../src/stream/backoff.ts";

const H = 3_600_000;
const day = Date.UTC(2024, 4, 10);

test.each([
  [day + 1 * H + 123, 4 * H, day + 4 * H],
  [day + 4 * H, 4 * H, day + 8 * H], // exactly on a boundary: the next one
  [day + 23 * H + 59 * 60_000, 4 * H, day + 24 * H],
  [day + 7_500, 10_000, day + 10_000],
])("the restart boundary after %d every %d ms is %d (UTC-aligned)", (now, period, boundary) => {
  expect(nextRestartBoundary(now, period)).toBe(boundary);
});

test("the new connection opens margin before the boundary; a boundary too close is skipped to the next", () => {
  expect(nextRestartPlan(day + 3 * H, 4 * H, 5000)).toEqual({ boundary: day + 4 * H, openAt: day + 4 * H - 5000 });
  expect(nextRestartPlan(day + 4 * H - 2000, 4 * H, 5000)).toEqual({ boundary: day + 8 * H, openAt: day + 8 * H - 5000 });
});

test("backoff: first retry immediate, then full jitter under an exponential ceiling capped at max", () => {
  const top = () => 0.999999;
  expect(backoffDelayMs(1, { baseMs: 500, maxMs: 30_000, random: top })).toBe(0);
  expect(backoffDelayMs(2, { baseMs: 500, maxMs: 30_000, random: top })).toBe(499);
  expect(backoffDelayMs(4, { baseMs: 500, maxMs: 30_000, random: top })).toBe(1999);
  expect(backoffDelayMs(40, { baseMs: 500, maxMs: 30_000, random: top })).toBe(29_999);
  expect(backoffDelayMs(40, { baseMs: 500, maxMs: 30_000, random: () => 0 })).toBe(0);
});
