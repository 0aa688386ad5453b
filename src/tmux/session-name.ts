import { UserError } from "../errors.ts";

/** The default tmux session name of `resilience start`. */
export const DEFAULT_SESSION_NAME = "resilience";

const SESSION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Returns `name` when it is a valid session name, else throws a UserError. */
export function checkSessionName(name: string): string {
  if (!SESSION_NAME.test(name)) {
    throw new UserError(`--name "${name}" is not a valid session name: start with a letter, then letters, digits, _ or -, at most 64 characters`);
  }
  return name;
}

/**
 * The exact-match target of a session (`=name`). Without `=`, tmux matches prefixes and
 * patterns: `res` would find `resilience-tmux` and stop the wrong session.
 */
export function sessionTarget(name: string): string {
  return `=${name}`;
}

/** The active pane of a session, matched exactly (pane-target commands need the colon). */
export function sessionPaneTarget(name: string): string {
  return `=${name}:`;
}
