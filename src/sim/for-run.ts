import { UserError } from "../errors.ts";
import type { Market } from "../exchange/market.ts";
import { logger } from "../logger.ts";
import { startExchange, type Exchange } from "./exchange.ts";
import { resolveSimulateArgs } from "./options.ts";

/** The part of a run configuration the simulator needs, and the URLs it replaces. */
export interface SimulatedRun {
  symbols: string[];
  wsUrl: string;
  restUrl: string;
  /** The run's market (ResolvedConfig.market); optional so a config without it still runs spot. @default "spot" */
  market?: Market;
}

/** With `--symbol all` (no names), `run --simulate` serves a generated market this big. */
export const DEFAULT_RUN_GENERATED_SYMBOLS = 1500;

/**
 * `run --simulate`: starts the simulated exchange of the run's market in-process on a
 * free port, serving the symbols being recorded (or, with none named, a generated market
 * of `generate` symbols, default DEFAULT_RUN_GENERATED_SYMBOLS), and points the run at it
 * (on usdm the stream base is `ws://HOST:PORT/market`). Without --simulate, the
 * simulator's flags are a usage error.
 */
export async function startSimulatorFor(
  config: SimulatedRun,
  args: { simulate?: boolean; faults?: string; replay?: string; seed?: string; generate?: string },
): Promise<Exchange | undefined> {
  if (!args.simulate) {
    const stray = (["faults", "replay", "seed", "generate"] as const).find((k) => args[k] !== undefined);
    if (stray) throw new UserError(`--${stray} only works with --simulate`);
    return undefined;
  }
  const named = config.symbols.length > 0 && args.generate === undefined;
  const listed = named ? { symbol: config.symbols.join(",") } : { symbols: args.generate ?? String(DEFAULT_RUN_GENERATED_SYMBOLS) };
  const options = resolveSimulateArgs({ port: "0", market: config.market ?? "spot", ...listed, faults: args.faults, replay: args.replay, seed: args.seed });
  const log = logger.withTag("simulate");
  const exchange = await startExchange({ ...options, log: (line, level = "info") => log[level](line) });
  log.info(`simulated ${exchange.market} exchange on ${exchange.url} (streams ${exchange.wsUrl})`);
  config.wsUrl = exchange.wsUrl;
  config.restUrl = exchange.url;
  return exchange;
}
