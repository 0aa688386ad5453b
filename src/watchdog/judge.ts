import { hostname } from "node:os";
import { UserError } from "../errors.ts";
import { judgeHealth, type Health } from "../state/health.ts";
import { readState, type RecorderState } from "../state/state-file.ts";
import { isRunning } from "../tmux/process.ts";

/** What one look at the state file found. */
export type Judgement =
  | { kind: "unreadable"; problem: string }
  | { kind: "judged"; state: Partial<RecorderState>; health: Health; streams: string[] };

/**
 * Judges a state file as `resilience status` does: read it, check the pid when the
 * recorder runs on this host, and apply `judgeHealth`. An unreadable file is a finding,
 * not an exception.
 */
export function judgeStateFile(path: string, now: number, maxAgeMs: number): Judgement {
  let state: Partial<RecorderState>;
  try {
    state = readState(path);
  } catch (err) {
    if (err instanceof UserError) return { kind: "unreadable", problem: err.message };
    throw err;
  }
  const sameHost = !state.hostname || state.hostname === hostname();
  const pidAlive = sameHost ? isRunning(Number(state.pid)) : true;
  const health = judgeHealth(state, { now, maxAgeMs, pidAlive });
  const streams = state.streams && typeof state.streams === "object" ? Object.keys(state.streams) : [];
  return { kind: "judged", state, health, streams };
}

/** `status`'s exit code for a judgement: 0 healthy, 1 trouble or stopped, 2 no readable state file. */
export function exitCodeFor(judgement: Judgement): 0 | 1 | 2 {
  if (judgement.kind === "unreadable") return 2;
  return judgement.health.healthy ? 0 : 1;
}
