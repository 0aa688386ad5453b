import type { ArgsDef } from "citty";
import { UserError } from "../errors.ts";
import { DEFAULT_SESSION_NAME } from "../tmux/session-name.ts";

/** Shared by the tmux session commands (start, attach, logs, stop, ls) and status. */
export const nameArg = {
  name: { type: "string", default: DEFAULT_SESSION_NAME, description: "tmux session name, matched exactly", valueHint: "NAME" },
} as const satisfies ArgsDef;

/**
 * citty ignores stray words; `resilience stop other` must not quietly stop the default
 * session. `allowed` is how many trailing positionals the command takes (after `--`).
 */
export function rejectPositionals(positionals: readonly unknown[], allowed = 0): void {
  const extra = positionals.slice(0, positionals.length - allowed);
  if (extra.length > 0) throw new UserError(`unexpected argument "${String(extra[0])}"; name a session with --name NAME`);
}

/** The arguments after `--` (for `start`, the recorder's). */
export function argsAfterDashDash(rawArgs: readonly string[]): string[] {
  const dash = rawArgs.indexOf("--");
  return dash < 0 ? [] : rawArgs.slice(dash + 1);
}
