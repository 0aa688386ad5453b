import { errorMessage, UserError } from "../errors.ts";
import { candleOpenAt, intervalMs, type Interval } from "../time/intervals.ts";
import { fetchClosedKlines } from "./rest-klines.ts";
import type { Market } from "./market.ts";
import type { RestBudget } from "./rest-budget.ts";

const CHECK_TIMEOUT_MS = 5000;

/**
 * Asks REST once per symbol whether it exists (Binance answers -1121 if not), so a typo
 * fails at start-up with exit 2 instead of recording nothing forever. When REST does not
 * answer, returns a warning and the recorder starts anyway.
 */
export async function checkSymbols(restUrl: string, market: Market, symbols: string[], interval: Interval, budget?: RestBudget, now = Date.now()): Promise<string | undefined> {
  const results = await Promise.allSettled(
    symbols.map((symbol) =>
      fetchClosedKlines({ restUrl, market, budget, stream: `${symbol}@${interval}`, symbol, interval, startTime: candleOpenAt(interval, now) - intervalMs(interval), maxAttempts: 1, timeoutMs: CHECK_TIMEOUT_MS }),
    ),
  );
  const userError = results.find((r) => r.status === "rejected" && r.reason instanceof UserError);
  if (userError?.status === "rejected") throw userError.reason;
  const failed = results.find((r) => r.status === "rejected");
  return failed?.status === "rejected" ? `could not check the symbols over REST (${errorMessage(failed.reason)}); starting anyway` : undefined;
}
