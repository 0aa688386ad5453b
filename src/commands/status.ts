import { defineCommand } from "citty";
import { renderStatus, statusJson } from "../render/status.ts";
import { DEFAULT_MAX_AGE_MS } from "../state/health.ts";
import { gatherStatus } from "../state/status-report.ts";
import { parseDuration } from "../time/duration.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { jsonArg, stateArg } from "./_args.ts";
import { rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "status", description: "Is the recorder running and fresh? Exit 0 yes, 1 stale/dead/stopped/late/degraded, 2 no state file" },
  args: {
    ...stateArg,
    name: { type: "string", description: "also check this tmux session (and read the state file its run arguments name)", valueHint: "NAME" },
    "max-age": { type: "string", description: "heartbeat age that counts as frozen (default 30s)", valueHint: "DUR" },
    ...jsonArg,
  },
  async run({ args }) {
    rejectPositionals(args._);
    const maxAgeMs = args["max-age"] === undefined ? DEFAULT_MAX_AGE_MS : parseDuration(args["max-age"], "--max-age");
    const view = await gatherStatus({ statePath: args.state, name: args.name, maxAgeMs, tmux: tmuxFromEnv() });
    console.log(args.json ? JSON.stringify(statusJson(view), null, 2) : renderStatus(view).join("\n"));
    process.exitCode = view.health.healthy ? 0 : 1;
  },
});
