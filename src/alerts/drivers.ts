import { describeDestination, type AlertDestination, type AlertKind } from "./destinations.ts";
import { DISCORD_MAX_CHARS, postToDiscord } from "./discord-post.ts";
import { DISCORD_STYLE, fitMessage, formatAlertMessage, formatDropNote, SLACK_STYLE, TELEGRAM_STYLE, type AlertBatch, type MessageStyle } from "./format.ts";
import type { PostOptions, PostOutcome } from "./http-post.ts";
import { SLACK_MAX_CHARS, postToSlack } from "./slack-post.ts";
import { TELEGRAM_MAX_CHARS, postToTelegram } from "./telegram-post.ts";
import { postToWebhook, webhookPayload } from "./webhook-post.ts";

/** One destination's service: how a message is written and posted there. */
export interface AlertDriver {
  readonly kind: AlertKind;
  /** Names the destination in logs, secrets redacted. */
  readonly label: string;
  /** What to check when the service refuses a message for good (a 4xx). */
  readonly refusedHint: string;
  /** Formats and posts one message, saying first that `dropped` older alerts were dropped. Never throws. */
  send(batch: AlertBatch, dropped: number): Promise<PostOutcome>;
}

/** The driver for a destination; every kind shares the alerter's queue, digest and retries. */
export function createDriver(destination: AlertDestination, options: PostOptions): AlertDriver {
  const label = describeDestination(destination);
  switch (destination.kind) {
    case "slack": {
      const { url } = destination;
      return { kind: "slack", label, refusedHint: "check the webhook URL", send: (batch, dropped) => postToSlack(url, _text(batch, dropped, SLACK_STYLE, SLACK_MAX_CHARS), options) };
    }
    case "discord": {
      const { url } = destination;
      return { kind: "discord", label, refusedHint: "check the webhook URL", send: (batch, dropped) => postToDiscord(url, _text(batch, dropped, DISCORD_STYLE, DISCORD_MAX_CHARS), options) };
    }
    case "telegram": {
      const target = { api: destination.api, token: destination.token, chatId: destination.chatId };
      return {
        kind: "telegram",
        label,
        refusedHint: "check telegram_bot_token and telegram_chat_id, and that the bot is in the chat",
        send: (batch, dropped) => postToTelegram(target, _text(batch, dropped, TELEGRAM_STYLE, TELEGRAM_MAX_CHARS), options),
      };
    }
    case "webhook": {
      const { url } = destination;
      return { kind: "webhook", label, refusedHint: "check the webhook URL", send: (batch, dropped) => postToWebhook(url, webhookPayload(batch, dropped), options) };
    }
  }
}

// --- internal ---

function _text(batch: AlertBatch, dropped: number, style: MessageStyle, maxChars: number): string {
  const text = formatAlertMessage(batch.events, batch.ctx, batch.extra, style);
  return fitMessage(dropped > 0 ? `${formatDropNote(dropped, style)}\n${text}` : text, maxChars);
}
