#!/usr/bin/env bun
import { defineCommand, runCommand, showUsage, type CommandDef } from "citty";
import pkg from "../package.json" with { type: "json" };
import { UserError, oneLine } from "./errors.ts";
import { findUnknownFlag, resolveLeafCommand, type CommandMeta } from "./commands/_args.ts";

/**
 * The root command. Sub commands are imported lazily (static paths only, so that
 * `bun build --compile` bundles them).
 */
export const main = defineCommand({
  meta: { name: "resilience", version: pkg.version, description: "A zero-loss Binance kline recorder" },
  subCommands: {
    run: () => import("./commands/run.ts").then((m) => m.default),
    status: () => import("./commands/status.ts").then((m) => m.default),
    start: () => import("./commands/start.ts").then((m) => m.default),
    attach: () => import("./commands/attach.ts").then((m) => m.default),
    logs: () => import("./commands/logs.ts").then((m) => m.default),
    stop: () => import("./commands/stop.ts").then((m) => m.default),
    ls: () => import("./commands/ls.ts").then((m) => m.default),
    simulate: () => import("./commands/simulate.ts").then((m) => m.default),
    watchdog: () => import("./commands/watchdog.ts").then((m) => m.default),
    gaps: () => import("./commands/gaps.ts").then((m) => m.default),
  },
});

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 a check found something,
 * 2 a usage or input error (one line, no stack), 70 a bug (with its stack).
 */
export async function runCli(rawArgs: string[]): Promise<number> {
  try {
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      console.log(pkg.version);
      return 0;
    }
    const [leaf, parent] = await resolveLeafCommand(main as CommandDef, rawArgs);
    if (rawArgs.includes("--help") || rawArgs.includes("-h") || rawArgs.length === 0) {
      await showUsage(leaf, parent);
      const meta = (typeof leaf.meta === "function" ? await leaf.meta() : await leaf.meta) as CommandMeta | undefined;
      if (meta?.epilog) console.log(`${meta.epilog}\n`);
      return 0;
    }
    const unknown = await findUnknownFlag(leaf, rawArgs);
    if (unknown) throw new UserError(`unknown option ${unknown}; see 'resilience ${leafName(rawArgs)} --help'`);
    process.exitCode = 0;
    await runCommand(main as CommandDef, { rawArgs });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof UserError) {
      console.error(`resilience: ${oneLine(err.message)}`);
      return err.exitCode;
    }
    if (err instanceof Error && "code" in err && String(err.code).startsWith("E_")) {
      // citty's own usage errors (unknown command, missing argument).
      console.error(`resilience: ${oneLine(err.message.replace(/\x1b\[[0-9;]*m/g, ""))}; see 'resilience --help'`);
      return 2;
    }
    console.error(err);
    return 70;
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2));
  process.exit(code);
}

// --- internal ---

function leafName(rawArgs: string[]): string {
  return rawArgs.find((a) => !a.startsWith("-")) ?? "";
}
