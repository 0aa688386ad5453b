import { formatIsoSeconds } from "../time/timestamp.ts";
import type { AlertChannel } from "./channels.ts";
import type { AlertLevel } from "./events.ts";
import { describeTimed, DIGEST_MAX_LINES, formatAlertMessage, formatDropNote, worstLevel, WEBHOOK_STYLE, type AlertBatch } from "./format.ts";
import { httpFailure, postJson, retryAfterHeaderMs, type PostOptions, type PostOutcome } from "./http-post.ts";

/** The JSON body of the generic webhook (README "Slack alerts"). Stable: relays parse it. */
export interface WebhookPayload {
  /** Always "resilience". */
  source: "resilience";
  /** `heartbeat` (stream death), `watchdog` or `events`. */
  channel: AlertChannel;
  /** The worst level among the events: info, success, warning or critical. */
  level: AlertLevel;
  /** The event's type (`stream_dead`, `disconnected`…), or `digest` for several. */
  event: string;
  host: string;
  /** Streams concerned (`BTCUSDT@1h`): the event's own, else the recorder's. */
  streams: string[];
  /** UTC time of the (first) event, ISO 8601. */
  at: string;
  /** The whole message as plain text, as Telegram gets it. */
  text: string;
  /** Each event listed (a digest lists at most 20). */
  events: { type: string; level: AlertLevel; text: string; streams: string[]; at: string }[];
  /** Events folded into a digest but not listed. */
  more: number;
  /** Older alerts this channel dropped (queue full) since the last message that went out. */
  dropped: number;
}

/** The generic webhook's body for one message (pure). Raw events are not sent: they may hold URLs or paths. */
export function webhookPayload(batch: AlertBatch, dropped: number): WebhookPayload {
  const { events, extra, ctx } = batch;
  const described = events.slice(0, DIGEST_MAX_LINES).map(describeTimed);
  const single = events.length === 1 && extra === 0 ? described[0] : undefined;
  const text = formatAlertMessage(events, ctx, extra, WEBHOOK_STYLE);
  return {
    source: "resilience",
    channel: ctx.channel,
    level: worstLevel(events.map(describeTimed)),
    event: single ? events[0]!.event.type : "digest",
    host: ctx.host,
    streams: single?.streams ?? ctx.streams,
    at: formatIsoSeconds(events[0]?.at ?? 0),
    text: dropped > 0 ? `${formatDropNote(dropped, WEBHOOK_STYLE)}\n${text}` : text,
    events: described.map((d, i) => ({ type: events[i]!.event.type, level: d.level, text: d.text, streams: d.streams ?? ctx.streams, at: formatIsoSeconds(d.at) })),
    more: events.length + extra - described.length,
    dropped,
  };
}

/**
 * POSTs the payload to a generic JSON webhook (an ntfy, PagerDuty or Opsgenie relay).
 * Any 2xx is success; 408, 429 (honouring `Retry-After`), 5xx and network errors are
 * retryable; another 4xx is not. Never throws; the reason never holds the URL.
 */
export async function postToWebhook(url: string, payload: WebhookPayload, options: PostOptions): Promise<PostOutcome> {
  const secrets = [url];
  const answer = await postJson(url, payload, { ...options, secrets });
  if ("ok" in answer) return answer;
  if (answer.status >= 200 && answer.status < 300) return { ok: true };
  return httpFailure(answer.status, answer.body, secrets, retryAfterHeaderMs(answer.headers));
}
