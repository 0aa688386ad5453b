import { sessionTarget } from "./session-name.ts";

export interface AttachPlan {
  /** tmux arguments (after the binary and its socket flag). */
  args: string[];
  /** Environment names to drop from the client's environment. */
  unsetEnv: string[];
}

/**
 * How to show session `name`: inside tmux on the same server, switch this client to it
 * (`switch-client`); otherwise attach a new client (`attach-session`), dropping `$TMUX`
 * when we are inside another server, so tmux does not refuse to nest.
 * `tmuxEnv` is `$TMUX` (`<socket path>,<pid>,<session>`); `socketPath` our server's socket.
 */
export function planAttach(name: string, tmuxEnv: string | undefined, socketPath: string): AttachPlan {
  const target = sessionTarget(name);
  if (!tmuxEnv) return { args: ["attach-session", "-t", target], unsetEnv: [] };
  const current = tmuxEnv.slice(0, tmuxEnv.lastIndexOf(",", tmuxEnv.lastIndexOf(",") - 1));
  if (current === socketPath) return { args: ["switch-client", "-t", target], unsetEnv: [] };
  return { args: ["attach-session", "-t", target], unsetEnv: ["TMUX"] };
}

/** Our server's socket path, as tmux computes it (`$TMUX_TMPDIR/tmux-<uid>/<name>`). */
export function socketPath(socket: string | undefined, env: Record<string, string | undefined> = process.env, uid = process.getuid?.() ?? 0): string {
  return `${env.TMUX_TMPDIR || "/tmp"}/tmux-${uid}/${socket ?? "default"}`;
}
