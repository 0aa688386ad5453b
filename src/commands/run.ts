import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { loadConfig } from "../config/load.ts";
import { logger } from "../logger.ts";
import { runRecorder } from "../supervisor/run-recorder.ts";
import { configArg } from "./_args.ts";
import { startSimulatorFor } from "../sim/for-run.ts";
import { ALERT_FLUSH_MS, createRunAlerter } from "../alerts/for-run.ts";

export default defineCommand({
  meta: { name: "run", description: "Record Binance klines to CSV, one file per symbol and interval, without losing one" },
  args: {
    ...configArg,
    market: { type: "string", description: "spot (default), usdm (USDⓈ-M futures) or coinm (COIN-M futures): default hosts, REST paths, limits and intervals", valueHint: "spot|usdm|coinm" },
    testnet: { type: "boolean", description: "the chosen market's test network (its default hosts; --ws-url/--rest-url still win)" },
    symbol: { type: "string", description: "comma list of symbols, case-insensitive, or 'all' for every TRADING one (spot: spot trading allowed; futures: perpetual and delivery contracts) (default BTCUSDT)", valueHint: "LIST|all" },
    quote: { type: "string", description: "with --symbol all: only symbols quoted in these assets, e.g. USDT,FDUSD", valueHint: "LIST" },
    exclude: { type: "string", description: "never record these symbols", valueHint: "LIST" },
    "symbols-refresh": { type: "string", description: "re-read exchangeInfo this often: listings are recorded, halted symbols retired (default 1h)", valueHint: "DUR" },
    "streams-per-connection": { type: "string", description: "streams on one WebSocket connection, at most 1024 (default 200)", valueHint: "N" },
    shard: { type: "string", description: "take shard K of N of the symbols (FNV-1a of the symbol modulo N), to split the market over N hosts", valueHint: "K/N" },
    db: { type: "string", description: "also replicate every row into PostgreSQL at postgres://user[:password]@host[:port]/dbname (RESILIENCE_DB; never logged)", valueHint: "URL" },
    "db-table": { type: "string", description: "with --db: the table (default candles; conflicts go to <table>_conflicts)", valueHint: "NAME" },
    interval: { type: "string", description: "comma list of intervals: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M (default 1h)", valueHint: "LIST" },
    "ws-url": { type: "string", description: "stream base (default wss://stream.binance.com:9443; a trailing /ws is accepted)", valueHint: "URL" },
    "rest-url": { type: "string", description: "REST base for backfill (default https://api.binance.com)", valueHint: "URL" },
    "restart-every": { type: "string", description: "proactive restart period, aligned to UTC boundaries (default 4h; 0 = off)", valueHint: "DUR" },
    "stale-after": { type: "string", description: "no message for this long = the stream is dead (default 30s)", valueHint: "DUR" },
    since: { type: "string", description: "on a fresh CSV, backfill history from TIME first (ISO or epoch ms)", valueHint: "TIME" },
    out: { type: "string", description: "directory for candles_<SYMBOL>_<interval>.csv (default .)", valueHint: "DIR" },
    state: { type: "string", description: "heartbeat state file (default state/heartbeat.state.json)", valueHint: "FILE" },
    listen: { type: "string", description: "serve /metrics (Prometheus), /healthz and /state over HTTP here: a port (127.0.0.1) or HOST:PORT, e.g. 0.0.0.0:9464 (default off)", valueHint: "ADDR" },
    dashboard: { type: "boolean", default: true, description: "live dashboard on a TTY", negativeDescription: "plain log lines even on a TTY" },
    simulate: { type: "boolean", description: "record from the embedded simulated exchange (offline rehearsals; see 'resilience simulate --help')" },
    faults: { type: "string", description: "with --simulate: fault schedule, e.g. drop@30s,stall:10s@1m", valueHint: "SPEC" },
    replay: { type: "string", description: "with --simulate: serve this CSV's candles", valueHint: "FILE" },
    seed: { type: "string", description: "with --simulate: seed of the simulated market", valueHint: "N" },
  },
  async run({ args }) {
    const config = await loadConfig({
      configPath: args.config,
      flags: {
        symbol: args.symbol,
        interval: args.interval,
        wsUrl: args["ws-url"],
        restUrl: args["rest-url"],
        restartEvery: args["restart-every"],
        staleAfter: args["stale-after"],
        since: args.since,
        out: args.out,
        state: args.state,
        quote: args.quote,
        exclude: args.exclude,
        symbolsRefresh: args["symbols-refresh"],
        streamsPerConnection: args["streams-per-connection"],
        shard: args.shard,
        market: args.market,
        testnet: args.testnet === undefined ? undefined : String(args.testnet),
        db: args.db,
        dbTable: args["db-table"],
        listen: args.listen,
      },
    });
    const simulator = await startSimulatorFor(config, args);
    const alerter = createRunAlerter(config);
    process.exitCode = await runRecorder({
      config,
      onEvent: (event) => alerter.alert(event),
      alertStats: () => alerter.stats(),
      alertChannels: () => alerter.channelStats(),
      async beforeExit() {
        await alerter.flush(ALERT_FLUSH_MS);
        alerter.close();
        await simulator?.stop();
      },
      version: pkg.version,
      log: logger.withTag("run"),
      dashboard: args.dashboard !== false,
      forceExit: (code) => process.exit(code),
    });
  },
});
