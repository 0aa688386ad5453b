import { httpFailure, parseJsonBody, postJson, retryAfterHeaderMs, secondsToMs, type PostOptions, type PostOutcome } from "./http-post.ts";

/** Telegram's limit on a message's text (core.telegram.org/bots/api#sendmessage). */
export const TELEGRAM_MAX_CHARS = 4096;

export interface TelegramTarget {
  /** Bot API base, e.g. https://api.telegram.org */
  api: string;
  /** Secret. */
  token: string;
  chatId: string;
}

/**
 * Sends one plain-text message with the Bot API's `sendMessage`. Never throws; the reason
 * never holds the token. 429 (with `parameters.retry_after` in seconds), 5xx and network
 * errors are retryable; 400/401/403/404 (wrong chat id or token, bot removed) are not.
 */
export async function postToTelegram(target: TelegramTarget, text: string, options: PostOptions): Promise<PostOutcome> {
  const secrets = [target.token];
  const payload = { chat_id: target.chatId, text, disable_web_page_preview: true };
  const answer = await postJson(`${target.api}/bot${target.token}/sendMessage`, payload, { ...options, secrets });
  if ("ok" in answer) return answer;
  const json = parseJsonBody(answer.body);
  if (answer.status >= 200 && answer.status < 300 && json?.ok !== false) return { ok: true };
  const parameters = (json?.parameters ?? {}) as { retry_after?: unknown; migrate_to_chat_id?: unknown };
  const retryAfterMs = secondsToMs(parameters.retry_after) ?? retryAfterHeaderMs(answer.headers);
  const migrated = parameters.migrate_to_chat_id !== undefined ? ` (the group became ${String(parameters.migrate_to_chat_id)}: set telegram_chat_id to it)` : "";
  const description = typeof json?.description === "string" ? json.description : answer.body;
  return httpFailure(answer.status, `${description}${migrated}`, secrets, retryAfterMs);
}
