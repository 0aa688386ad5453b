import { ALERT_CHANNELS, resolveWebhooks, webhookProblem, type AlertChannel, type Webhooks } from "./channels.ts";
import { redactSecret, redactWebhook } from "./redact.ts";

/** The services an alert can go to. */
export type AlertKind = "slack" | "telegram" | "discord" | "webhook";

export const ALERT_KINDS: readonly AlertKind[] = ["slack", "telegram", "discord", "webhook"];

/** Telegram's Bot API; `credentials.telegram_api` (RESILIENCE_TELEGRAM_API) points elsewhere (a local Bot API server, tests). */
export const TELEGRAM_API = "https://api.telegram.org";

/**
 * Where one channel's alerts go on one service. A channel without a destination of its
 * own on a service uses that service's `events` destination (see `destinationFor`).
 */
export type AlertDestination =
  | {
      kind: "slack" | "discord" | "webhook";
      channel: AlertChannel;
      /** The URL to POST to. Secret. */
      url: string;
    }
  | {
      kind: "telegram";
      channel: AlertChannel;
      /** Bot API base, without the trailing slash. */
      api: string;
      /** Secret. */
      token: string;
      /** A numeric chat id (`-100…` for groups and channels) or `@channelname`. */
      chatId: string;
    };

/** Suffixes of the per-channel credential keys (`discord_webhook_hb`), as in Slack's `sops_hb`/`sops_wd`. */
const SUFFIX: Record<AlertChannel, string> = { heartbeat: "_hb", watchdog: "_wd", events: "" };

/**
 * Every destination the config's `credentials` name (pure):
 * - Slack: `slack_webhook` for everything, else `sops_hb`, `sops_wd`, `sops_<environment>`;
 * - Telegram: `telegram_bot_token` with `telegram_chat_id` (everything), `telegram_chat_id_hb`, `telegram_chat_id_wd`;
 * - Discord: `discord_webhook`, `discord_webhook_hb`, `discord_webhook_wd`;
 * - generic JSON webhook: `webhook_url`, `webhook_url_hb`, `webhook_url_wd`.
 */
export function resolveDestinations(credentials: Record<string, string>, environment = "mainnet"): AlertDestination[] {
  const out: AlertDestination[] = slackDestinations(resolveWebhooks(credentials, environment));
  const token = credentials.telegram_bot_token ?? "";
  const api = (credentials.telegram_api || TELEGRAM_API).replace(/\/+$/, "");
  for (const channel of ALERT_CHANNELS) {
    const chatId = credentials[`telegram_chat_id${SUFFIX[channel]}`];
    if (chatId) out.push({ kind: "telegram", channel, api, token, chatId });
    else if (channel === "events" && token) out.push({ kind: "telegram", channel, api, token, chatId: "" });
  }
  for (const [kind, key] of [["discord", "discord_webhook"], ["webhook", "webhook_url"]] as const) {
    for (const channel of ALERT_CHANNELS) {
      const url = credentials[`${key}${SUFFIX[channel]}`];
      if (url) out.push({ kind, channel, url });
    }
  }
  return out;
}

/** Slack destinations from webhook URLs per channel (`AlerterOptions.webhooks`). */
export function slackDestinations(webhooks: Webhooks): AlertDestination[] {
  return ALERT_CHANNELS.flatMap((channel) => (webhooks[channel] ? [{ kind: "slack" as const, channel, url: webhooks[channel] }] : []));
}

/** A channel's destination on a service: its own, else the service's `events` one. */
export function destinationFor(kind: AlertKind, channel: AlertChannel, destinations: readonly AlertDestination[]): AlertDestination | undefined {
  const ofKind = destinations.filter((d) => d.kind === kind);
  return ofKind.find((d) => d.channel === channel) ?? ofKind.find((d) => d.channel === "events");
}

/** Why a destination cannot be used, or undefined when it can (never echoes a secret). */
export function destinationProblem(d: AlertDestination): string | undefined {
  if (d.kind !== "telegram") return webhookProblem(d.url);
  if (!d.token) return "has no credentials.telegram_bot_token";
  if (!d.chatId) return "has no credentials.telegram_chat_id";
  if (!/^\d+:[\w-]+$/.test(d.token)) return "has a bot token that is not <digits>:<letters> (as @BotFather gives it)";
  if (!/^(-?\d+|@\w+)$/.test(d.chatId)) return "has a chat id that is neither a number nor @channelname";
  const api = webhookProblem(d.api);
  return api ? `has a telegram_api that ${api}` : undefined;
}

/** Names a destination in logs, secrets redacted: `Slack events webhook hooks.slack.com/…/XXXX`. */
export function describeDestination(d: AlertDestination): string {
  switch (d.kind) {
    case "slack":
      return `Slack ${d.channel} webhook ${redactWebhook(d.url)}`;
    case "discord":
      return `Discord ${d.channel} webhook ${redactWebhook(d.url)}`;
    case "webhook":
      return `generic ${d.channel} webhook ${redactWebhook(d.url)}`;
    case "telegram":
      return `Telegram ${d.channel} chat ${d.chatId || "(none)"} (bot ${redactSecret(d.token)})`;
  }
}

/** The strings to scrub from anything an API answers about this destination. */
export function destinationSecrets(d: AlertDestination): string[] {
  if (d.kind !== "telegram") return [d.url];
  return d.token ? [d.token] : [];
}
