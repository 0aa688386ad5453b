import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSecurityChecks, type SecurityCheck } from "../../scripts/lib/security-checks.ts";
import { ensureBinary, runBinary } from "../helpers/binary.ts";

const dir = mkdtempSync(join(tmpdir(), "security-slice-"));
let checks: SecurityCheck[] = [];
beforeAll(async () => {
  checks = await runSecurityChecks(dir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failed = (prefix: RegExp) => {
  const mine = checks.filter((c) => prefix.test(c.name));
  expect(mine.length).toBeGreaterThan(0);
  return mine.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
};

test("no piece of a webhook URL in any output of run or watchdog, whatever Slack does, at debug level", () => {
  expect(failed(/^no webhook/)).toEqual([]);
  expect(checks.filter((c) => /^no webhook/.test(c.name))).toHaveLength(7);
});

test("CSV locks are respected: a second recorder, gaps --fill and another host's lock are refused; a dead recorder's lock is taken over", () => {
  expect(failed(/lock|refused commands/)).toEqual([]);
});

test("tmux session names are validated before tmux runs and matched exactly", () => {
  expect(failed(/tmux session names are refused|matched exactly/)).toEqual([]);
});

// Regression: a newline in a session name is escaped, so the error stays one line.
test("a session name with a newline is refused in one line", async () => {
  ensureBinary();
  const { code, stderr } = await runBinary(["stop", "--name", "a\nb"], { env: { RESILIENCE_TMUX_SOCKET: `resilience-todo-${process.pid}` } });
  expect(code).toBe(2);
  expect(stderr.trim().split("\n")).toHaveLength(1);
});
