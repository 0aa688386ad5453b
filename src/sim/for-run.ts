import { UserError } from "../errors.ts";
import { logger } from "../logger.ts";
import { startExchange, type Exchange } from "./exchange.ts";
import { resolveSimulateArgs } from "./options.ts";

/** The part of a run configuration the simulator needs, and the URLs it replaces. */
export interface SimulatedRun {
  symbols: string[];
  wsUrl: string;
  restUrl: string;
}

/** With `--symbol all` (no names), `run --simulate` serves a generated market this big. */
export const DEFAULT_RUN_GENERATED_SYMBOLS = 1500;

/**
 * `run --simulate`: starts the simulated exchange in-process on a free port, serving the
 * symbols being recorded (or, with none named, a generated market of `generate` symbols,
 * default DEFAULT_RUN_GENERATED_SYMBOLS), and points the run at it. Without --simulate,
 * the simulator's flags are a usage error.
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
  const market = named ? { symbol: config.symbols.join(",") } : { symbols: args.generate ?? String(DEFAULT_RUN_GENERATED_SYMBOLS) };
  const options = resolveSimulateArgs({ port: "0", ...market, faults: args.faults, replay: args.replay, seed: args.seed });
  const log = logger.withTag("simulate");
  const exchange = await startExchange({ ...options, log: (line, level = "info") => log[level](line) });
  log.info(`simulated exchange on ${exchange.url}`);
  config.wsUrl = exchange.wsUrl;
  config.restUrl = exchange.url;
  return exchange;
}
