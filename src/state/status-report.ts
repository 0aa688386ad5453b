import { hostname } from "node:os";
import { resolve } from "node:path";
import type { SessionView, StatusView } from "../render/status.ts";
import { sessionProblems } from "../render/status.ts";
import { isRunning } from "../tmux/process.ts";
import type { TmuxRunner } from "../tmux/runner.ts";
import { checkSessionName } from "../tmux/session-name.ts";
import { findSession } from "../tmux/sessions.ts";
import { judgeHealth } from "./health.ts";
import { readState } from "./state-file.ts";
import { DEFAULT_STATE_PATH } from "./state-path.ts";

export interface GatherStatusOptions {
  /** `--state`; else the session's state file, else the default. */
  statePath?: string;
  /** `--name`: also look at this tmux session. */
  name?: string;
  maxAgeMs: number;
  tmux: TmuxRunner;
  /** @default Date.now() */
  now?: number;
}

/**
 * Everything `resilience status` reports: the state file (a UserError when unreadable),
 * its judgement with the pid checked on this host, and with `name` the tmux session,
 * whose absence or dead pane counts as a problem too.
 */
export async function gatherStatus(options: GatherStatusOptions): Promise<StatusView> {
  const name = options.name === undefined ? undefined : checkSessionName(options.name);
  const found = name === undefined ? undefined : await findSession(options.tmux, name);
  const session: SessionView | undefined = name === undefined ? undefined : { name, exists: found !== undefined, ours: found?.ours ?? false, recorder: found?.recorder };
  const statePath = resolve(options.statePath ?? found?.statePath ?? DEFAULT_STATE_PATH);
  const state = readState(statePath);
  const now = options.now ?? Date.now();
  // A pid from another host cannot be checked here; trust the heartbeat then.
  const pidChecked = !state.hostname || state.hostname === hostname();
  const health = judgeHealth(state, { now, maxAgeMs: options.maxAgeMs, pidAlive: pidChecked ? isRunning(Number(state.pid)) : true });
  const more = session ? sessionProblems(session) : [];
  if (more.length > 0) {
    health.problems.push(...more);
    health.healthy = false;
  }
  return { now, statePath, state, health, pidChecked, session };
}
