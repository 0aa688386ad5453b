import { createConsola, type ConsolaInstance } from "consola";

/**
 * The process logger. `run` prints plain timestamped lines when stdout is not a TTY
 * (tmux logs, pipes); `logger.withTag("stream")` per module. Never log a secret:
 * pass webhook URLs through `redactUrl` first.
 */
export const logger: ConsolaInstance = createConsola({
  level: process.env.RESILIENCE_LOG_LEVEL ? Number(process.env.RESILIENCE_LOG_LEVEL) : 3,
  formatOptions: { date: true, colors: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR },
});
