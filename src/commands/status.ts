import { defineCommand } from "citty";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { renderStatus, sessionProblems, statusJson, type SessionView } from "../render/status.ts";
import { DEFAULT_MAX_AGE_MS, judgeHealth } from "../state/health.ts";
import { readState } from "../state/state-file.ts";
import { DEFAULT_STATE_PATH } from "../state/state-path.ts";
import { parseDuration } from "../time/duration.ts";
import { isRunning } from "../tmux/process.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { checkSessionName } from "../tmux/session-name.ts";
import { findSession } from "../tmux/sessions.ts";
import { jsonArg, stateArg } from "./_args.ts";
import { rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "status", description: "Is the recorder running and fresh? Exit 0 yes, 1 stale/dead/stopped/late, 2 no state file" },
  args: {
    ...stateArg,
    name: { type: "string", description: "also check this tmux session (and read the state file its run arguments name)", valueHint: "NAME" },
    "max-age": { type: "string", description: "heartbeat age that counts as frozen (default 30s)", valueHint: "DUR" },
    ...jsonArg,
  },
  async run({ args }) {
    rejectPositionals(args._);
    const maxAgeMs = args["max-age"] === undefined ? DEFAULT_MAX_AGE_MS : parseDuration(args["max-age"], "--max-age");
    const found = args.name === undefined ? undefined : await findSession(tmuxFromEnv(), checkSessionName(args.name));
    const session: SessionView | undefined = args.name === undefined ? undefined : { name: args.name, exists: found !== undefined, ours: found?.ours ?? false, recorder: found?.recorder };
    const statePath = resolve(args.state ?? found?.statePath ?? DEFAULT_STATE_PATH);
    const state = readState(statePath);
    const now = Date.now();
    const pidChecked = !state.hostname || state.hostname === hostname();
    const health = judgeHealth(state, { now, maxAgeMs, pidAlive: pidChecked ? isRunning(Number(state.pid)) : true });
    if (session) {
      const more = sessionProblems(session);
      health.problems.push(...more);
      if (more.length > 0) health.healthy = false;
    }
    const view = { now, statePath, state, health, pidChecked, session };
    console.log(args.json ? JSON.stringify(statusJson(view), null, 2) : renderStatus(view).join("\n"));
    process.exitCode = health.healthy ? 0 : 1;
  },
});
