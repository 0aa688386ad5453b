import { defineCommand } from "citty";
import { renderSessionList, sessionListJson } from "../render/sessions.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { listSessions } from "../tmux/sessions.ts";
import { jsonArg } from "./_args.ts";
import { rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "ls", description: "List the tmux sessions that 'resilience start' made" },
  args: { ...jsonArg },
  async run({ args }) {
    rejectPositionals(args._);
    const sessions = await listSessions(tmuxFromEnv());
    console.log(args.json ? JSON.stringify(sessionListJson(sessions), null, 2) : renderSessionList(sessions).join("\n"));
  },
});
