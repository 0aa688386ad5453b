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
    super(message);
  }
}

/** Message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
