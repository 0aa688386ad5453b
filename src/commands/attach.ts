import { defineCommand } from "citty";
import { UserError } from "../errors.ts";
import { planAttach, socketPath } from "../tmux/attach.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { checkSessionName } from "../tmux/session-name.ts";
import { findSession } from "../tmux/sessions.ts";
import { nameArg, rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "attach", description: "Show the recorder's tmux session (switch-client when already inside tmux)" },
  args: { ...nameArg },
  async run({ args }) {
    rejectPositionals(args._);
    const name = checkSessionName(args.name);
    const tmux = tmuxFromEnv();
    if (!(await findSession(tmux, name))) throw new UserError(`no tmux session named ${name}; 'resilience ls' lists the sessions 'resilience start' made`);
    const plan = planAttach(name, process.env.TMUX, socketPath(tmux.socket));
    if (plan.args[0] === "attach-session" && !process.stdin.isTTY) throw new UserError(`attach needs a terminal; run it from an interactive shell`);
    const env = { ...process.env };
    for (const key of plan.unsetEnv) delete env[key];
    const proc = Bun.spawn(tmux.argv(plan.args), { env, stdio: ["inherit", "inherit", "inherit"] });
    process.exitCode = (await proc.exited) === 0 ? 0 : 1;
  },
});
