import { existsSync } from "node:fs";
import { UserError } from "../errors.ts";
import { readConfigFiles, type SopsDecrypt } from "./files.ts";
import { resolveConfig, type ResolvedConfig, type RunOverrides } from "./resolve.ts";

export type { ResolvedConfig, RunOverrides } from "./resolve.ts";

/** Looked for, in order, when neither --config nor RESILIENCE_CONFIG names a file. */
export const DEFAULT_CONFIG_PATHS = ["resilience.yml", "config/resilience.yml"];

/** Environment twins of the `run` flags. */
const ENV_OVERRIDES: Record<keyof RunOverrides, string | undefined> = {
  symbol: "RESILIENCE_SYMBOL",
  interval: "RESILIENCE_INTERVAL",
  wsUrl: "RESILIENCE_WS_URL",
  restUrl: "RESILIENCE_REST_URL",
  restartEvery: "RESILIENCE_RESTART_EVERY",
  staleAfter: "RESILIENCE_STALE_AFTER",
  since: undefined,
  out: "RESILIENCE_OUT",
  state: "RESILIENCE_STATE",
  quote: "RESILIENCE_QUOTE",
  exclude: "RESILIENCE_EXCLUDE",
  symbolsRefresh: "RESILIENCE_SYMBOLS_REFRESH",
  streamsPerConnection: "RESILIENCE_STREAMS_PER_CONNECTION",
  shard: "RESILIENCE_SHARD",
  market: "RESILIENCE_MARKET",
  testnet: "RESILIENCE_TESTNET",
  db: "RESILIENCE_DB",
  dbTable: "RESILIENCE_DB_TABLE",
  listen: "RESILIENCE_LISTEN",
};

/** Environment twins of alert `credentials` keys (src/alerts/destinations.ts); they win over the file. */
const CREDENTIAL_ENV: Record<string, string> = {
  slack_webhook: "RESILIENCE_SLACK_WEBHOOK",
  telegram_bot_token: "RESILIENCE_TELEGRAM_BOT_TOKEN",
  telegram_chat_id: "RESILIENCE_TELEGRAM_CHAT_ID",
  telegram_api: "RESILIENCE_TELEGRAM_API",
  discord_webhook: "RESILIENCE_DISCORD_WEBHOOK",
  webhook_url: "RESILIENCE_WEBHOOK_URL",
};

export interface LoadConfigOptions {
  /** --config */
  configPath?: string;
  /** Flag values (win over the environment). */
  flags?: RunOverrides;
  env?: Record<string, string | undefined>;
  decrypt?: SopsDecrypt;
}

/**
 * Defaults < config file (+ includes) < environment < flags. Without --config or
 * RESILIENCE_CONFIG, the first of ./resilience.yml and ./config/resilience.yml is used.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const explicit = options.configPath ?? env.RESILIENCE_CONFIG;
  if (explicit !== undefined && !existsSync(explicit)) {
    throw new UserError(`config file ${explicit} does not exist; give an existing file to --config`);
  }
  const path = explicit ?? DEFAULT_CONFIG_PATHS.find((p) => existsSync(p));
  const { tree, origins } = path ? await readConfigFiles(path, options.decrypt ?? (await defaultDecrypt())) : { tree: {}, origins: {} };
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined)) as RunOverrides;
  const fromEnv: RunOverrides = {};
  const overrideNames: Partial<Record<keyof RunOverrides, string>> = {};
  for (const [key, name] of Object.entries(ENV_OVERRIDES) as [keyof RunOverrides, string | undefined][]) {
    const value = name ? env[name] : undefined;
    if (value === undefined || value === "") continue;
    fromEnv[key] = value;
    if (flags[key] === undefined) overrideNames[key] = name;
  }
  const config = resolveConfig(tree, path, { ...fromEnv, ...flags }, { origins, overrideNames });
  for (const [key, name] of Object.entries(CREDENTIAL_ENV)) {
    const value = env[name];
    if (value) config.credentials[key] = value;
  }
  return config;
}

// --- internal ---

/** The native SOPS decoder, loaded only when a config file is read. */
async function defaultDecrypt(): Promise<SopsDecrypt> {
  const { decryptSopsYaml } = await import("./sops.ts");
  return (text, path) => decryptSopsYaml(text, path);
}
