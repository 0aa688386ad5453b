import { defineCommand } from "citty";
import { createAlerter } from "../alerts/alerter.ts";
import { resolveDestinations } from "../alerts/destinations.ts";
import { loadConfig } from "../config/load.ts";
import { decryptSopsYaml } from "../config/sops.ts";
import { logger } from "../logger.ts";
import { runWatchdogCommand } from "../watchdog/run-watchdog.ts";
import { watchdogSettings } from "../watchdog/settings.ts";
import { configArg, stateArg } from "./_args.ts";
import { rejectPositionals } from "./_session.ts";

export default defineCommand({
  meta: { name: "watchdog", description: "Watch the state file from outside; alert the watchdog Slack channel once per episode and on recovery" },
  args: {
    ...stateArg,
    "max-age": { type: "string", description: "heartbeat age that counts as frozen (default 30s; config resilience.watchdog.max_heartbeat_age)", valueHint: "DUR" },
    every: { type: "string", description: "time between looks (default 10s; config resilience.watchdog.cycle_interval)", valueHint: "DUR" },
    once: { type: "boolean", description: "look once and exit like status (0 healthy, 1 trouble, 2 no state file): for cron" },
    ...configArg,
  },
  async run({ args }) {
    rejectPositionals(args._);
    const config = await loadConfig({ configPath: args.config, decrypt: (text, path) => decryptSopsYaml(text, path) });
    const log = logger.withTag("watchdog");
    for (const warning of config.warnings) log.warn(warning);
    const settings = watchdogSettings({ state: args.state, maxAge: args["max-age"], every: args.every }, config);
    const alerter = createAlerter({
      destinations: resolveDestinations(config.credentials, config.environment),
      minIntervalMs: config.alerts.minIntervalMs,
      log: logger.withTag("alerts"),
    });
    process.exitCode = await runWatchdogCommand({ ...settings, alerter, log, once: args.once === true });
  },
});
