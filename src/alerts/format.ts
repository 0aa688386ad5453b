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

/** A digest lists at most this many events; the rest are counted. */
export const DIGEST_MAX_LINES = 20;

const EMOJI: Record<AlertLevel, string> = {
  info: ":information_source:",
  success: ":white_check_mark:",
  warning: ":warning:",
  critical: ":rotating_light:",
};
const RANK: Record<AlertLevel, number> = { info: 0, success: 1, warning: 2, critical: 3 };

/**
 * One Slack message (mrkdwn) for one event, or a digest of several raised within
 * `alerts.min_interval`. Names host, streams and UTC times. `extra` counts events that
 * were folded in but not kept (pure).
 */
export function formatAlertMessage(events: TimedEvent[], ctx: MessageContext, extra = 0): string {
  const first = events[0];
  if (!first) return "";
  if (events.length === 1 && extra === 0) {
    const d = describeEvent(first.event) ?? { level: "info" as const, text: first.event.type };
    return `${EMOJI[d.level]} *[${ctx.channel}] ${ctx.host}* · ${_streams(d.streams ?? ctx.streams)} · ${formatIsoSeconds(first.at)}\n${d.text}`;
  }
  const described = events.map((e) => ({ level: "info" as AlertLevel, text: e.event.type, ...describeEvent(e.event), at: e.at }));
  const worst = described.reduce<AlertLevel>((w, d) => (RANK[d.level] > RANK[w] ? d.level : w), "info");
  const total = events.length + extra;
  const lines = described.slice(0, DIGEST_MAX_LINES).map((d) => {
    const where = d.streams ? `${_streams(d.streams)}: ` : "";
    return `• ${formatIsoSeconds(d.at)} ${EMOJI[d.level]} ${where}${d.text}`;
  });
  const more = total - lines.length;
  if (more > 0) lines.push(`• … and ${more} more`);
  return `${EMOJI[worst]} *[${ctx.channel}] ${ctx.host}* · ${_streams(ctx.streams)} · ${total} events since ${formatIsoSeconds(first.at)}\n${lines.join("\n")}`;
}

/** The line put before the next message a channel sends after some were dropped. */
export function formatDropNote(dropped: number): string {
  return `:warning: ${dropped} older alert${dropped === 1 ? " was" : "s were"} dropped while Slack could not be reached (queue full)`;
}

// --- internal ---

function _streams(streams: string[]): string {
  if (streams.length === 0) return "no stream";
  return streams.length > 6 ? `${streams.slice(0, 6).join(", ")} +${streams.length - 6}` : streams.join(", ");
}
