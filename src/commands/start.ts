import { defineCommand } from "citty";
import { resolve } from "node:path";
import { statePathFromRunArgs, watchdogArgs } from "../tmux/run-args.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { selfCommand } from "../tmux/self-command.ts";
import { checkSessionName } from "../tmux/session-name.ts";
import { recorderRunArgs, startSession } from "../tmux/start-session.ts";
import { argsAfterDashDash, nameArg, rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: {
    name: "start",
    description: "Start 'resilience run' in a detached tmux session; its arguments go after -- (no dashboard unless -- --dashboard: the log file keeps the pane's output)",
  },
  args: {
    ...nameArg,
    "with-watchdog": { type: "boolean", description: "also run 'resilience watchdog' in a second window" },
    "log-dir": { type: "string", default: "logs", description: "directory of <name>.log, the pane's output (relative to here)", valueHint: "DIR" },
  },
  async run({ args, rawArgs }) {
    const runArgs = argsAfterDashDash(rawArgs);
    rejectPositionals(args._, runArgs.length);
    const name = checkSessionName(args.name);
    const cwd = process.cwd();
    const statePath = statePathFromRunArgs(runArgs, cwd);
    const logPath = resolve(cwd, args["log-dir"], `${name}.log`);
    const self = selfCommand();
    const { recorder, exitedAtOnce } = await startSession({
      tmux: tmuxFromEnv(),
      name,
      cwd,
      command: [...self, "run", ...recorderRunArgs(runArgs)],
      runArgs,
      statePath,
      logPath,
      watchdogCommand: args["with-watchdog"] ? [...self, "watchdog", ...watchdogArgs(runArgs, statePath)] : undefined,
    });
    if (exitedAtOnce) {
      console.error(`resilience: the recorder in session ${name} exited at once${recorder.exitStatus !== null ? ` with status ${recorder.exitStatus}` : ""}; see 'resilience logs --name ${name}' (the pane is kept)`);
      process.exitCode = 1;
      return;
    }
    console.log(`started ${name}: pid ${recorder.pid}, log ${logPath}, state ${statePath}`);
    console.log(`attach: resilience attach --name ${name}    stop: resilience stop --name ${name}`);
  },
});
