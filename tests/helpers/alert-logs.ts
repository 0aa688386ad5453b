import type { LogObject } from "consola";

/** A captured log record as the line it prints (without time and level). */
export function logText(log: LogObject): string {
  return log.args.map(String).join(" ");
}

/** Polls (real time) until `cond` holds; fails after 3 s. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await Bun.sleep(5);
  }
  throw new Error("condition not met within 3 s");
}
