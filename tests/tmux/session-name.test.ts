import { expect, test } from "bun:test";
import { UserError } from "../../src/errors.ts";
import { checkSessionName, sessionPaneTarget, sessionTarget } from "../../src/tmux/session-name.ts";

test.each(["resilience", "r", "A1_b-2", "a".repeat(64)])("%p is a valid session name", (name) => {
  expect(checkSessionName(name)).toBe(name);
});

test.each(["", "1st", "-x", "_x", "has space", "semi;", "dot.name", "colon:0", "=exact", "a".repeat(65), "ünï"])("%p is refused with a UserError", (name) => {
  expect(() => checkSessionName(name)).toThrow(UserError);
});

test("targets are exact matches", () => {
  expect(sessionTarget("res")).toBe("=res");
  expect(sessionPaneTarget("res")).toBe("=res:");
});
