/**
 * Webhook URLs are secrets: whoever has one can post to the channel. This is the only
 * way one may appear in a log: `hooks.slack.com/…/XXXX` (host and last 4 characters).
 */
export function redactWebhook(url: string): string {
  const tail = url.replace(/\/+$/, "").slice(-4);
  let host = "";
  try {
    host = new URL(url).host;
  } catch {
    // Not a URL: show only the tail.
  }
  return `${host}/…/${tail}`;
}

/** Replaces every occurrence of the given secret URLs (and any other URL) in `text` by its redacted form. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(redactWebhook(secret));
  return out.replace(/\bhttps?:\/\/[^\s"'<>)]+/g, (url) => redactWebhook(url));
}
