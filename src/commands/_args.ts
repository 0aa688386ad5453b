import type { ArgsDef, CommandDef, CommandMeta as CittyMeta } from "citty";

/** citty's meta plus an `epilog` printed after the usage (grammars, examples). */
export type CommandMeta = CittyMeta & { epilog?: string };
import { UserError } from "../errors.ts";

/** Shared argument fragments. Durations and numbers are strings, parsed in one place. */
export const configArg = {
  config: { type: "string", description: "config file (default: ./resilience.yml, else ./config/resilience.yml)", valueHint: "FILE" },
} as const satisfies ArgsDef;

export const stateArg = {
  state: { type: "string", description: "heartbeat state file (default state/heartbeat.state.json)", valueHint: "FILE" },
} as const satisfies ArgsDef;

export const jsonArg = {
  json: { type: "boolean", description: "machine-readable output" },
} as const satisfies ArgsDef;

/** Splits a comma list, trimming blanks; an empty result is an error naming `what`. */
export function parseList(text: string, what: string): string[] {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UserError(`${what}: empty list; give values separated by commas`);
  return items;
}

/** Walks `rawArgs` down the sub commands to the command that will run. */
export async function resolveLeafCommand(root: CommandDef, rawArgs: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  let cmd = root;
  let parent: CommandDef | undefined;
  let args = rawArgs;
  for (;;) {
    const subs = await _resolve(cmd.subCommands);
    if (!subs) return [cmd, parent];
    const index = args.findIndex((a) => !a.startsWith("-"));
    if (index < 0) return [cmd, parent];
    const name = args[index]!;
    const sub = (subs as Record<string, unknown>)[name];
    if (!sub) throw new UserError(`unknown command "${name}"; see 'resilience --help'`);
    parent = cmd;
    cmd = (await _resolve(sub)) as CommandDef;
    args = args.slice(index + 1);
  }
}

/** citty accepts unknown flags silently; we reject them. Returns the first unknown flag. */
export async function findUnknownFlag(cmd: CommandDef, rawArgs: string[]): Promise<string | undefined> {
  const defs = ((await _resolve(cmd.args)) ?? {}) as ArgsDef;
  const known = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    for (const n of [name, _kebab(name), ...[(def as { alias?: string | string[] }).alias ?? []].flat()]) known.set(n, def.type ?? "string");
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") continue;
    const name = arg.replace(/^--?/, "").split("=")[0]!;
    if (known.has(name) || name === "help" || name === "h") {
      // The next word is this flag's value, even when it starts with "-" (`--restart-every -5s`).
      if (!arg.includes("=") && known.get(name) !== "boolean") i++;
      continue;
    }
    const negated = name.startsWith("no-") ? name.slice(3) : undefined;
    if (negated && known.get(negated) === "boolean") continue;
    if (known.has(`no-${name}`)) continue;
    return arg.split("=")[0];
  }
  return undefined;
}

// --- internal ---

async function _resolve<T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

function _kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
