import { UserError } from "../errors.ts";
import { printLine } from "../logger.ts";
import { startExchange, type ExchangeOptions } from "./exchange.ts";

/**
 * Runs the simulated exchange for `resilience simulate`: prints `listening on URL` as the
 * first line on stdout, then serves until SIGINT or SIGTERM and stops cleanly.
 */
export async function serveUntilSignal(options: ExchangeOptions, print: (line: string) => void = printLine): Promise<void> {
  const exchange = await _start(options);
  print(`listening on ${exchange.url}`);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await exchange.stop();
}

// --- internal ---

async function _start(options: ExchangeOptions) {
  try {
    return await startExchange(options);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "EADDRINUSE") throw new UserError(`--port: ${options.host}:${options.port} is already in use; pick another port or --port 0`);
    if (code === "EADDRNOTAVAIL" || code === "EACCES") throw new UserError(`--host/--port: cannot listen on ${options.host}:${options.port} (${code})`);
    throw err;
  }
}
