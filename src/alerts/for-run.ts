import type { ResolvedConfig } from "../config/load.ts";
import { createAlerter, type Alerter } from "./alerter.ts";
import { resolveWebhooks } from "./channels.ts";

/** At shutdown, queued alerts get this long to reach Slack (inside the 10 s stop deadline). */
export const ALERT_FLUSH_MS = 5000;

/**
 * The recorder's alerter: the config's credentials (sops_hb, sops_wd,
 * sops_<environment>, or RESILIENCE_SLACK_WEBHOOK for one channel); a no-op without any.
 */
export function createRunAlerter(config: ResolvedConfig): Alerter {
  return createAlerter({
    webhooks: resolveWebhooks(config.credentials, config.environment),
    minIntervalMs: config.alerts.minIntervalMs,
    proactive: config.alerts.proactive,
  });
}
