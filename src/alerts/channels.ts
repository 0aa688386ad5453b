import type { AlertEvent } from "./events.ts";

/** Slack channels as in the kstlib example: `heartbeat` (stream death), `watchdog`, `events` (the rest). */
export type AlertChannel = "heartbeat" | "watchdog" | "events";

export const ALERT_CHANNELS: readonly AlertChannel[] = ["heartbeat", "watchdog", "events"];

export type Webhooks = Partial<Record<AlertChannel, string>>;

/**
 * Webhook URL per channel from the config's `credentials`: `slack_webhook` (set from
 * RESILIENCE_SLACK_WEBHOOK) sends everything to one channel; otherwise `sops_hb`,
 * `sops_wd` and `sops_<environment>` (environment default `mainnet`).
 */
export function resolveWebhooks(credentials: Record<string, string>, environment = "mainnet"): Webhooks {
  const single = credentials.slack_webhook;
  if (single) return { heartbeat: single, watchdog: single, events: single };
  const out: Webhooks = {};
  if (credentials.sops_hb) out.heartbeat = credentials.sops_hb;
  if (credentials.sops_wd) out.watchdog = credentials.sops_wd;
  const events = credentials[`sops_${environment}`];
  if (events) out.events = events;
  return out;
}

/** Where an event goes: stream death to `heartbeat`, watchdog findings to `watchdog`, the rest to `events`. */
export function channelFor(event: AlertEvent): AlertChannel {
  if (event.type === "stream_dead") return "heartbeat";
  if (event.type.startsWith("watchdog_")) return "watchdog";
  return "events";
}

/** A channel without its own webhook falls back to the `events` webhook. */
export function webhookFor(channel: AlertChannel, webhooks: Webhooks): string | undefined {
  return webhooks[channel] ?? webhooks.events;
}

/** Why a webhook URL cannot be used, or undefined when it can (never echoes the URL). */
export function webhookProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "must start with https://";
  return undefined;
}
