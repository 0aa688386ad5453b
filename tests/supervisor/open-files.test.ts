import { expect, test } from "bun:test";
import { openFileLimit, openFilesProblem } from "../../src/supervisor/open-files.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63504                63504                processes
Max open files            1024                 524288               files
`;

test("the soft limit is read from /proc/self/limits", () => {
  expect(openFileLimit(LIMITS)).toBe(1024);
  expect(openFileLimit(LIMITS.replace("1024 ", "unlimited "))).toBeUndefined();
  expect(openFileLimit()).toBeGreaterThan(0);
});

test("3,000 CSVs under a limit of 1024 is one line that says what to do", () => {
  const problem = openFilesProblem(3000, 15, 1024)!;
  expect(problem).toContain("3000 streams");
  expect(problem).toContain("ulimit -n");
  expect(problem).not.toContain("\n");
  expect(openFilesProblem(600, 3, 20_000)).toBeUndefined();
  expect(openFilesProblem(600, 3, undefined)).toBeUndefined();
});
