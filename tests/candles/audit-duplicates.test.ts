import { expect, test } from "bun:test";
import { sameCandleValues } from "../../src/candles/audit-duplicates.ts";

test.each([
  ["2024-01-01T00:00:00Z,1.50,2,1,1.5,3\r", "2024-01-01T00:00:00+00:00,1.5,2.00,1,1.50,3", true],
  ["2024-01-01T00:00:00Z,1,2,1,1.5,3", "2024-01-01T00:00:00Z,1,2,1,1.5,3.1", false],
  ["2024-01-01T00:00:00Z,100,2,1,1.5,3", "2024-01-01T00:00:00Z,1.00,2,1,1.5,3", false],
  ["2024-01-01T00:00:00Z,1,2,1,1.5,3", "2024-01-01T00:00:00Z,1,2,1,1.5", false],
])("%p and %p hold the same values: %p", (a, b, same) => {
  expect(sameCandleValues(a, b)).toBe(same);
});
