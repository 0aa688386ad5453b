import { httpFailure, parseJsonBody, postJson, retryAfterHeaderMs, secondsToMs, type PostOptions, type PostOutcome } from "./http-post.ts";

/** Discord's limit on a message's `content`. */
export const DISCORD_MAX_CHARS = 2000;

/**
 * Executes a Discord webhook with one message. Never throws; the reason never holds
 * the URL. Mentions are disabled, so no alert text can ping `@everyone`. A 429 carries
 * `retry_after` (seconds) in its body and a `Retry-After` header; 5xx and network errors
 * are retryable; 400/401/404 (a deleted webhook) are not.
 */
export async function postToDiscord(url: string, text: string, options: PostOptions): Promise<PostOutcome> {
  const secrets = [url];
  const payload = { content: text, username: "resilience", allowed_mentions: { parse: [] } };
  const answer = await postJson(url, payload, { ...options, secrets });
  if ("ok" in answer) return answer;
  if (answer.status >= 200 && answer.status < 300) return { ok: true };
  const json = parseJsonBody(answer.body);
  const retryAfterMs = secondsToMs(json?.retry_after) ?? retryAfterHeaderMs(answer.headers);
  return httpFailure(answer.status, typeof json?.message === "string" ? json.message : answer.body, secrets, retryAfterMs);
}
