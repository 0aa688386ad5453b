/**
 * Alert credentials are secrets: whoever has a webhook URL or a bot token can post to
 * the channel. These are the only forms in which one may appear in a log, an error or
 * the state: a URL as `hooks.slack.com/…/XXXX` (host and last 4 characters), a token as
 * `…XXXX`.
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

/** A secret that is not a URL (a Telegram bot token): its last 4 characters. */
export function redactSecret(secret: string): string {
  return `…${secret.slice(-4)}`;
}

/**
 * Replaces every occurrence of the given secrets, of any URL and of anything shaped like
 * a Telegram bot token (`123456:ABC…`) in `text` by its redacted form.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a URL holding a token is replaced whole before the token alone.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret) out = out.split(secret).join(_isUrl(secret) ? redactWebhook(secret) : redactSecret(secret));
  }
  return out.replace(/\bhttps?:\/\/[^\s"'<>)]+/g, (url) => redactWebhook(url)).replace(TELEGRAM_TOKEN, (token) => redactSecret(token));
}

// --- internal ---

/** Bot API tokens: the bot id, a colon, 35 characters (core.telegram.org/bots/api#authorizing-your-bot). */
const TELEGRAM_TOKEN = /\b\d{5,}:[A-Za-z0-9_-]{30,}/g;

function _isUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}
