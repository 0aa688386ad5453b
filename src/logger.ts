import { createConsola, type ConsolaInstance, type LogObject } from "consola";
import { writeSync } from "node:fs";
import { formatWithOptions } from "node:util";

/** Where formatted log lines go; the dashboard swaps it for its log tail. */
export type LogSink = (line: string, entry: { at: number; level: string; message: string }) => void;

const LEVEL_NAMES: Record<string, string> = {
  fatal: "ERROR", error: "ERROR", warn: "WARN", log: "INFO", info: "INFO", success: "INFO", ready: "INFO", start: "INFO", box: "INFO", debug: "DEBUG", trace: "TRACE", verbose: "DEBUG",
};

let sink: LogSink = (line) => printLine(line);

/**
 * Writes a line to stdout synchronously, so lines keep their order with the logs and the
 * last ones before an exit are never lost when stdout is a pipe (journald, `| tee`);
 * falls back to the stream if the fd would block.
 */
export function printLine(line: string): void {
  if (stdoutGone) return;
  const text = `${line}\n`;
  try {
    writeSync(1, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") {
      // The reader went away (EPIPE: `| head`, a dead pipe-pane): logging must never stop the recorder.
      stdoutGone = true;
      return;
    }
    try {
      process.stdout.write(text);
    } catch {
      stdoutGone = true;
    }
  }
}

let stdoutGone = false;
process.stdout.on?.("error", () => {
  stdoutGone = true;
});

/** Routes log lines elsewhere (the dashboard's log tail); returns the previous sink. */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

/** `2026-01-27T14:00:00.123Z WARN  [run] message`: one plain line per record, UTC. */
export function formatLogLine(entry: { at: number; level: string; tag?: string; message: string }): string {
  return `${new Date(entry.at).toISOString()} ${entry.level.padEnd(5)} ${entry.tag ? `[${entry.tag}] ` : ""}${entry.message}`;
}

/**
 * The process logger: plain timestamped lines (UTC), one per record, so tmux logs and
 * pipes stay greppable. `logger.withTag("stream")` per module. Never log a secret:
 * webhook URLs go through `redactWebhook` first.
 */
export const logger: ConsolaInstance = createConsola({
  level: process.env.RESILIENCE_LOG_LEVEL ? Number(process.env.RESILIENCE_LOG_LEVEL) : 3,
  reporters: [
    {
      log(obj: LogObject) {
        const message = formatWithOptions({ colors: false }, ...(obj.args as unknown[]));
        const level = LEVEL_NAMES[obj.type] ?? "INFO";
        const at = obj.date.getTime();
        sink(formatLogLine({ at, level, tag: obj.tag, message }), { at, level, message });
      },
    },
  ],
});
