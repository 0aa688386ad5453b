import { defineCommand } from "citty";
import { renderStopResult, stopExitCode } from "../render/sessions.ts";
import { parseDuration } from "../time/duration.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { stopSession } from "../tmux/stop-session.ts";
import { nameArg, rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop the recorder gracefully (SIGTERM, wait), then close its session; exit 1 if it had to be killed" },
  args: {
    ...nameArg,
    timeout: { type: "string", default: "30s", description: "how long to wait for the recorder's cleanup before killing it", valueHint: "DUR" },
  },
  async run({ args }) {
    rejectPositionals(args._);
    const timeoutMs = parseDuration(args.timeout, "--timeout");
    const result = await stopSession({ tmux: tmuxFromEnv(), name: args.name, timeoutMs });
    console.log(renderStopResult(args.name, result));
    process.exitCode = stopExitCode(result);
  },
});
