/**
 * A mistake the user can fix (a bad flag, config, file). Commands print only its
 * message (one line) and exit 2; anything else is a bug and shows its stack (exit 70).
 */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    /** Exit code for the command that surfaces it. @default 2 */
    readonly exitCode = 2,
  ) {
    super(oneLine(message));
  }
}

/** Message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Longest run of characters without a space kept in a message; the rest becomes "…". */
const MAX_WORD = 120;

/**
 * A message made safe to print as one line: control characters (a newline in a quoted
 * name) are escaped, and a huge quoted value is shortened so the advice after it stays
 * readable.
 */
export function oneLine(message: string): string {
  return message
    .replace(/[\u0000-\u001f\u007f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`))
    .replace(new RegExp(`\\S{${MAX_WORD + 1},}`, "g"), (word) => `${word.slice(0, MAX_WORD - 20)}…${word.slice(-12)}`);
}
