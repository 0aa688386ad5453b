import { defineCommand } from "citty";
import type { CommandMeta } from "./_args.ts";
import { FAULTS_HELP } from "../sim/faults.ts";
import { MARKETS_HELP } from "../sim/market-rules.ts";
import { resolveSimulateArgs } from "../sim/options.ts";
import { serveUntilSignal } from "../sim/serve.ts";

export default defineCommand({
  meta: {
    name: "simulate",
    description: "Serve a Binance-compatible exchange (streams and REST on one port) with simulated candles and scheduled faults",
    epilog:
      "Prints 'listening on http://HOST:PORT' first, then the market and its paths; runs until Ctrl-C or SIGTERM.\n" +
      "GET /sim/stats: connections, faults, limit refusals as JSON.\n\n" +
      MARKETS_HELP +
      "\n\n" +
      FAULTS_HELP,
  } as CommandMeta,
  args: {
    market: { type: "string", description: "the Binance market served, with its paths and limits (see below; default spot)", valueHint: "spot|usdm|coinm" },
    port: { type: "string", description: "port to listen on; 0 picks a free one (default 9443)", valueHint: "N" },
    host: { type: "string", description: "address to listen on (default 127.0.0.1)", valueHint: "HOST" },
    symbol: { type: "string", description: "symbols that exist, comma-separated, all TRADING (default BTCUSDT,ETHUSDT,PEPEUSDT; usdm BTCUSDT,ETHUSDT,SOLUSDT; coinm BTCUSD_PERP,…)", valueHint: "LIST" },
    symbols: { type: "string", description: "instead: a whole market of N TRADING symbols (BTCUSDT, ETHUSDT, … then generated; ~70% USDT; futures: perpetuals, 1 in 20 quarterly) plus ~3% not trading", valueHint: "N" },
    "rest-weight": { type: "string", description: "REST request weight allowed per minute: over it 429, then 418 (default 6000; futures 2400)", valueHint: "N" },
    faults: { type: "string", description: "fault schedule, e.g. drop@30s,stall:10s@1m,every:5m (see above)", valueHint: "SPEC" },
    replay: { type: "string", description: "serve this CSV's candles (ours, or Binance's 12 columns): row k is candle k from the start", valueHint: "FILE" },
    seed: { type: "string", description: "seed of the simulated market (default 1); the same seed gives the same candles", valueHint: "N" },
    day: { type: "string", description: "cut each connection after this long, like Binance's 24 h (default 24h)", valueHint: "DUR" },
  },
  async run({ args }) {
    await serveUntilSignal(resolveSimulateArgs({ ...args, restWeight: args["rest-weight"] }));
  },
});
