import { UserError } from "../errors.ts";
import { printLine } from "../logger.ts";
import { startExchange, type Exchange, type ExchangeOptions } from "./exchange.ts";
import { marketRules } from "./market-rules.ts";

/**
 * Runs the simulated exchange for `resilience simulate`: prints `listening on URL` as the
 * first line on stdout (scripts read the URL from it) and the market with its paths as
 * the second, then serves until SIGINT or SIGTERM and stops cleanly.
 */
export async function serveUntilSignal(options: ExchangeOptions, print: (line: string) => void = printLine): Promise<void> {
  const exchange = await _start(options);
  print(`listening on ${exchange.url}`);
  print(describeMarket(exchange));
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

/**
 * `market usdm: REST http://H:P/fapi/v1/…, streams ws://H:P/market/stream?streams=… and
 * ws://H:P/market/ws/<stream> (run --market usdm --rest-url http://H:P --ws-url ws://H:P/market)`.
 */
export function describeMarket(exchange: Pick<Exchange, "market" | "url" | "wsUrl">): string {
  const { market, url, wsUrl } = exchange;
  const rest = `${url}${marketRules(market).restPath}/{klines,exchangeInfo,ping,time}`;
  return `market ${market}: REST ${rest}, streams ${wsUrl}/stream?streams=… and ${wsUrl}/ws/<stream> (run --market ${market} --rest-url ${url} --ws-url ${wsUrl})`;
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
