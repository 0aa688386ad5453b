import { resolve } from "node:path";

/** Where `run` writes its heartbeat state unless told otherwise (relative to its cwd). */
export const DEFAULT_STATE_PATH = "state/heartbeat.state.json";

/**
 * The state file a `resilience run RUN-ARGS` started in `cwd` writes: its `--state`
 * (`--state FILE` or `--state=FILE`, the last one wins) or the default, made absolute.
 * A state file set only in the config file is not seen here; `stop` checks the pid it
 * finds against the pane's process, so a wrong guess never signals a stranger.
 */
export function statePathFromRunArgs(runArgs: readonly string[], cwd: string): string {
  let path: string | undefined;
  for (let i = 0; i < runArgs.length; i++) {
    const arg = runArgs[i]!;
    if (arg === "--") break;
    if (arg === "--state" && i + 1 < runArgs.length) path = runArgs[++i];
    else if (arg.startsWith("--state=")) path = arg.slice("--state=".length);
  }
  return resolve(cwd, path || DEFAULT_STATE_PATH);
}
