import { expect } from "bun:test";
import { UserError } from "../../src/errors.ts";

/** The message of the UserError `fn` throws; fails the test when it throws nothing or something else. */
export function userErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).message;
  }
  throw new Error("expected a UserError");
}
