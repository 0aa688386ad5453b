import { UserError } from "../errors.ts";

export interface TmuxResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TmuxRunnerOptions {
  /** A dedicated server socket name (`tmux -L`). @default undefined: the user's default server */
  socket?: string;
  /** @default "tmux" */
  binary?: string;
  /** Environment of the tmux client (a new server inherits it). @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Runs tmux commands as argument vectors; no shell is involved. Each command is a
 * list of arguments; several are chained in one tmux call (one server round, so a
 * new pane's first output cannot slip past the commands that follow it).
 */
export interface TmuxRunner {
  readonly socket: string | undefined;
  /** The argv that runs these commands on our server (attach needs it to inherit the terminal). */
  argv(...commands: string[][]): string[];
  run(...commands: string[][]): Promise<TmuxResult>;
  /** Like `run`, but a failure throws an Error carrying tmux's message. */
  check(...commands: string[][]): Promise<string>;
}

/** tmux on `RESILIENCE_TMUX_SOCKET` when set, else the user's default server. */
export function tmuxFromEnv(env: Record<string, string | undefined> = process.env): TmuxRunner {
  const socket = env.RESILIENCE_TMUX_SOCKET?.trim();
  return createTmuxRunner({ socket: socket ? socket : undefined, env });
}

export function createTmuxRunner(options: TmuxRunnerOptions = {}): TmuxRunner {
  const binary = options.binary ?? "tmux";
  const env = options.env ?? process.env;
  const argv = (...commands: string[][]) => [_locate(binary, env), ...(options.socket ? ["-L", options.socket] : []), ...chainArgs(commands)];
  const run = async (...commands: string[][]): Promise<TmuxResult> => {
    const proc = Bun.spawn(argv(...commands), { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  };
  return {
    socket: options.socket,
    argv,
    run,
    async check(...commands) {
      const result = await run(...commands);
      if (result.code !== 0) throw new Error(`tmux ${commands.map((c) => c[0]).join(" ; ")} failed: ${result.stderr.trim() || `exit ${result.code}`}`);
      return result.stdout;
    },
  };
}

/**
 * Joins commands with `;` for one tmux call. tmux reads an argument ending in `;` as a
 * command separator, even in an argv; such user arguments get a `\` before the `;`,
 * which tmux removes again.
 */
export function chainArgs(commands: string[][]): string[] {
  const out: string[] = [];
  commands.forEach((command, i) => {
    if (i > 0) out.push(";");
    for (const arg of command) out.push(arg.endsWith(";") ? `${arg.slice(0, -1)}\\;` : arg);
  });
  return out;
}

/** `#` starts a format in the arguments tmux expands (`-c`, `pipe-pane`); `##` is a literal `#`. */
export function escapeFormat(text: string): string {
  return text.replaceAll("#", "##");
}

/** True when tmux failed only because no server is running on the socket (so: no sessions). */
export function isNoServer(result: TmuxResult): boolean {
  return result.code !== 0 && /no server running|error connecting to|No such file or directory/i.test(result.stderr);
}

// --- internal ---

function _locate(binary: string, env: Record<string, string | undefined>): string {
  const path = Bun.which(binary, { PATH: env.PATH ?? "" });
  if (!path) throw new UserError(`tmux is not installed (not found on PATH); install it with: apt-get install tmux`);
  return path;
}
