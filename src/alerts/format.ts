import { formatIsoSeconds } from "../time/timestamp.ts";
import type { AlertChannel } from "./channels.ts";
import { describeEvent, type AlertEvent, type AlertLevel } from "./events.ts";

/** An event and when it was raised (epoch ms). */
export interface TimedEvent {
  event: AlertEvent;
  at: number;
}

export interface MessageContext {
  channel: AlertChannel;
  host: string;
  /** The recorder's streams, for events that concern all of them. */
  streams: string[];
}

/** What one message carries: one event, or a digest of several (`extra` folded in but not listed). */
export interface AlertBatch {
  events: TimedEvent[];
  extra: number;
  ctx: MessageContext;
}

/** How a service shows a message: its emoji, its bold, its name (in the drop note). */
export interface MessageStyle {
  /** Named in the drop note ("while Slack could not be reached"). */
  service: string;
  emoji: Record<AlertLevel, string>;
  bold(text: string): string;
}

/** A digest lists at most this many events; the rest are counted. */
export const DIGEST_MAX_LINES = 20;

const UNICODE_EMOJI: Record<AlertLevel, string> = { info: "ℹ️", success: "✅", warning: "⚠️", critical: "🚨" };

/** Slack mrkdwn: emoji shortcodes, `*bold*`. */
export const SLACK_STYLE: MessageStyle = {
  service: "Slack",
  emoji: { info: ":information_source:", success: ":white_check_mark:", warning: ":warning:", critical: ":rotating_light:" },
  bold: (text) => `*${text}*`,
};
/** Discord markdown: webhooks do not expand shortcodes, so Unicode emoji; `**bold**`. */
export const DISCORD_STYLE: MessageStyle = { service: "Discord", emoji: UNICODE_EMOJI, bold: (text) => `**${text}**` };
/** Plain text (Telegram without parse_mode, so nothing needs escaping). */
export const TELEGRAM_STYLE: MessageStyle = { service: "Telegram", emoji: UNICODE_EMOJI, bold: (text) => text };
/** The generic webhook's `text` field. */
export const WEBHOOK_STYLE: MessageStyle = { ...TELEGRAM_STYLE, service: "the webhook" };

const RANK: Record<AlertLevel, number> = { info: 0, success: 1, warning: 2, critical: 3 };

/**
 * One message for one event, or a digest of several raised within `alerts.min_interval`.
 * Names host, streams and UTC times. `extra` counts events that were folded in but not
 * kept (pure). Slack mrkdwn unless another style is given.
 */
export function formatAlertMessage(events: TimedEvent[], ctx: MessageContext, extra = 0, style: MessageStyle = SLACK_STYLE): string {
  const first = events[0];
  if (!first) return "";
  const title = style.bold(`[${ctx.channel}] ${ctx.host}`);
  if (events.length === 1 && extra === 0) {
    const d = describeTimed(first);
    return `${style.emoji[d.level]} ${title} · ${_streams(d.streams ?? ctx.streams)} · ${formatIsoSeconds(first.at)}\n${d.text}`;
  }
  const described = events.map(describeTimed);
  const total = events.length + extra;
  const lines = described.slice(0, DIGEST_MAX_LINES).map((d) => {
    const where = d.streams ? `${_streams(d.streams)}: ` : "";
    return `• ${formatIsoSeconds(d.at)} ${style.emoji[d.level]} ${where}${d.text}`;
  });
  const more = total - lines.length;
  if (more > 0) lines.push(`• … and ${more} more`);
  return `${style.emoji[worstLevel(described)]} ${title} · ${_streams(ctx.streams)} · ${total} events since ${formatIsoSeconds(first.at)}\n${lines.join("\n")}`;
}

/** An event described, with its time; an unknown type is shown by name (pure). */
export function describeTimed(timed: TimedEvent): { level: AlertLevel; text: string; streams?: string[]; at: number } {
  return { level: "info", text: timed.event.type, ...describeEvent(timed.event), at: timed.at };
}

/** The most severe level among `described` (info when empty). */
export function worstLevel(described: readonly { level: AlertLevel }[]): AlertLevel {
  return described.reduce<AlertLevel>((w, d) => (RANK[d.level] > RANK[w] ? d.level : w), "info");
}

/** The line put before the next message a channel sends after some were dropped. */
export function formatDropNote(dropped: number, style: MessageStyle = SLACK_STYLE): string {
  return `${style.emoji.warning} ${dropped} older alert${dropped === 1 ? " was" : "s were"} dropped while ${style.service} could not be reached (queue full)`;
}

/**
 * Cuts a message to a service's limit (Telegram 4096, Discord 2000 characters) at a line
 * end, saying how many lines were left out; a single overlong line is cut mid-line (pure).
 */
export function fitMessage(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const lines = text.split("\n");
  const kept: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    const note = `… ${lines.length - i} more line${lines.length - i === 1 ? "" : "s"} cut (message limit)`;
    if (used + line.length + 1 + note.length > maxChars) {
      if (kept.length === 0) return `${_cut(text, maxChars - 1)}…`;
      return `${kept.join("\n")}\n${note}`;
    }
    kept.push(line);
    used += line.length + 1;
  }
  return kept.join("\n");
}

// --- internal ---

/** The first `n` UTF-16 units, without splitting a surrogate pair (an emoji). */
function _cut(text: string, n: number): string {
  const code = text.charCodeAt(n - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

function _streams(streams: string[]): string {
  if (streams.length === 0) return "no stream";
  return streams.length > 6 ? `${streams.slice(0, 6).join(", ")} +${streams.length - 6}` : streams.join(", ");
}
