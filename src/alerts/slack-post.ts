import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError, type FetchFunction } from "@slack/webhook";
import { errorMessage } from "../errors.ts";
import type { PostOptions, PostOutcome } from "./http-post.ts";
import { redactText } from "./redact.ts";

/** Slack truncates a message's text beyond this (api.slack.com/reference/messaging/payload). */
export const SLACK_MAX_CHARS = 40_000;

/**
 * Posts one message through `@slack/webhook` (8.x: fetch-based, its own retries off:
 * the alerter retries with backoff). Never throws. The reason never contains the URL.
 * 5xx, 429 and network errors are retryable; other 4xx (a revoked or wrong webhook) are not.
 */
export async function postToSlack(url: string, text: string, options: PostOptions): Promise<PostOutcome> {
  try {
    const hook = new IncomingWebhook(url, {
      timeout: options.timeoutMs,
      retryConfig: { retries: 0 },
      ...(options.fetch ? { fetch: options.fetch as unknown as FetchFunction } : {}),
    });
    await hook.send({ text, username: "resilience", icon_emoji: ":robot_face:" });
    return { ok: true };
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError) {
      const body = err.body ? `: ${redactText(err.body, [url]).slice(0, 80)}` : "";
      return { ok: false, retryable: err.statusCode >= 500 || err.statusCode === 429, reason: `HTTP ${err.statusCode}${body}` };
    }
    if (err instanceof IncomingWebhookRequestError) {
      const original = err.original;
      const timedOut = original.name === "TimeoutError" || original.name === "AbortError";
      return { ok: false, retryable: true, reason: timedOut ? `no answer within ${options.timeoutMs} ms` : redactText(errorMessage(original), [url]) };
    }
    return { ok: false, retryable: true, reason: redactText(errorMessage(err), [url]) };
  }
}
