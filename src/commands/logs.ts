import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../errors.ts";
import { followFile, readLastLines } from "../tmux/log-file.ts";
import { tmuxFromEnv } from "../tmux/runner.ts";
import { checkSessionName } from "../tmux/session-name.ts";
import { findSession } from "../tmux/sessions.ts";
import { nameArg, rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "logs", description: "Print the session's log file (kept after a crash or a stop); -f follows it" },
  args: {
    ...nameArg,
    lines: { type: "string", alias: "n", default: "100", description: "how many last lines to print", valueHint: "N" },
    follow: { type: "boolean", alias: "f", description: "keep printing what is appended (Ctrl-C ends)" },
    "log-dir": { type: "string", default: "logs", description: "where to look when the session is gone (as given to start)", valueHint: "DIR" },
  },
  async run({ args }) {
    rejectPositionals(args._);
    const name = checkSessionName(args.name);
    if (!/^\d+$/.test(args.lines)) throw new UserError(`-n/--lines: "${args.lines}" is not a whole number of lines`);
    const path = (await findSession(tmuxFromEnv(), name))?.logPath ?? resolve(args["log-dir"], `${name}.log`);
    if (!existsSync(path)) throw new UserError(`no log file ${path}; was session ${name} started here with 'resilience start --name ${name}'?`);
    const { text, end } = readLastLines(path, Number(args.lines));
    // Chained awaited writes: the CLI exits right after run() and must not cut a pipe short.
    let written = Bun.write(Bun.stdout, text);
    if (args.follow) {
      const stop = new AbortController();
      for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => stop.abort());
      await followFile(path, { from: end, signal: stop.signal, onData: (chunk) => (written = written.then(() => Bun.write(Bun.stdout, chunk))) });
    }
    await written;
  },
});
