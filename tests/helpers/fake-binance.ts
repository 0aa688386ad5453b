import { startExchange, type Exchange, type ExchangeOptions } from "../../src/sim/exchange.ts";

export type { Exchange, SimKline } from "../../src/sim/exchange.ts";
export { simulatedKline } from "../../src/sim/exchange.ts";

/** A simulated exchange that `await using` stops at the end of the scope. */
export type FakeBinance = Exchange & AsyncDisposable;

/**
 * Starts the simulated Binance on a free port for a test: BTCUSDT, ETHUSDT and PEPEUSDT
 * unless told otherwise, faults logged nowhere unless `log` is given.
 *
 *   await using binance = await startFakeBinance({ clock });
 *   new WebSocket(`${binance.wsUrl}/ws/btcusdt@kline_1s`);
 */
export async function startFakeBinance(options: Partial<ExchangeOptions> = {}): Promise<FakeBinance> {
  const exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT", "PEPEUSDT"], log: () => {}, ...options });
  return Object.assign(exchange, { [Symbol.asyncDispose]: () => exchange.stop() });
}
