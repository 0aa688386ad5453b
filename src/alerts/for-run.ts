import type { ResolvedConfig } from "../config/load.ts";
import { createAlerter, type Alerter } from "./alerter.ts";
import { resolveDestinations } from "./destinations.ts";

/** At shutdown, queued alerts get this long to go out (inside the 10 s stop deadline). */
export const ALERT_FLUSH_MS = 5000;

/**
 * The recorder's alerter: every destination the config's credentials name (Slack's
 * sops_hb, sops_wd, sops_<environment>; Telegram, Discord, a generic webhook; or their
 * RESILIENCE_* environment twins); a no-op without any.
 */
export function createRunAlerter(config: ResolvedConfig): Alerter {
  return createAlerter({
    destinations: resolveDestinations(config.credentials, config.environment),
    minIntervalMs: config.alerts.minIntervalMs,
    proactive: config.alerts.proactive,
  });
}
