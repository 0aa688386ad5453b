import type { RecorderEvent } from "../supervisor/events.ts";
import { formatDuration } from "../time/duration.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";

/** What the watchdog reports (the recorder's own events are `RecorderEvent`). */
export type WatchdogEvent =
  | { type: "watchdog_stale"; stateFile: string; verdict: string; problems: string[]; streams?: string[] }
  | { type: "watchdog_recovered"; stateFile: string; troubleMs: number; streams?: string[] }
  | { type: "watchdog_stopped"; stateFile: string; reason: string | null; streams?: string[] };

export type AlertEvent = RecorderEvent | WatchdogEvent;

export type AlertLevel = "info" | "success" | "warning" | "critical";

export interface EventDescription {
  level: AlertLevel;
  /** The streams the event concerns (`BTCUSDT@1h`); undefined = the recorder's streams. */
  streams?: string[];
  /** One line, without host, streams or time. */
  text: string;
}

const LIST_MAX = 5;

/** One event as a sentence and a level (pure); undefined for an event type it does not know. */
export function describeEvent(event: AlertEvent): EventDescription | undefined {
  switch (event.type) {
    case "started":
      return { level: "info", streams: event.streams, text: "recorder started" };
    case "stopped":
      return { level: "info", text: `recorder stopped: ${event.reason}` };
    case "connected":
      return { level: "success", text: `connected to the exchange (attempt ${event.attempt})` };
    case "disconnected":
      return { level: "warning", text: `disconnected: code ${event.code}${event.reason ? ` ${event.reason}` : ""} after ${formatDuration(event.upMs)} up${event.stale ? " (the stream had gone silent)" : ""}` };
    case "stream_dead":
      return { level: "critical", text: `stream dead: no message for ${formatDuration(event.silentMs)}; reconnecting` };
    case "proactive_restart":
      return { level: "info", text: `proactive restart at ${formatIsoSeconds(event.boundary)}: a new connection took over` };
    case "proactive_restart_abandoned":
      return { level: "warning", text: `proactive restart for ${formatIsoSeconds(event.boundary)} skipped: ${event.reason}` };
    case "server_shutdown":
      return { level: "info", text: "the exchange announced a server shutdown; moving to a new connection" };
    case "reconnecting_long":
      return { level: "critical", text: `still reconnecting after ${formatDuration(event.sinceMs)} (${event.attempts} attempts)` };
    case "backfill_repaired": {
      const times = event.candles.map((c) => c.openTime);
      return { level: "info", streams: [_key(event)], text: `backfill repaired ${_plural(times.length, "candle")}: ${_times(times)}` };
    }
    case "exchange_gap":
      return { level: "warning", streams: [_key(event)], text: `exchange gap confirmed: the exchange has no candle at ${_times(event.openTimes)}` };
    case "unrepaired_hole":
      return { level: "critical", streams: [_key(event)], text: `hole not repaired: ${formatIsoSeconds(event.from)}..${formatIsoSeconds(event.to)} (repair with 'resilience gaps --fill')` };
    case "row_conflict":
      return {
        level: "critical",
        streams: [_key(event)],
        text: `the CSV's last row ${event.record.open_time} disagreed with the exchange (${event.record.fields.join(", ")}): ${event.record.action} (old row kept in ${event.conflictLog})${event.earlierDiffers ? "; earlier rows differ too: run 'resilience gaps --verify'" : ""}`,
      };
    case "csv_write_failing":
      return { level: "critical", streams: [_key(event)], text: `CSV write failing: ${event.error}` };
    case "csv_write_recovered":
      return { level: "success", streams: [_key(event)], text: "CSV writes recovered" };
    case "malformed_message":
      return { level: "warning", text: event.count > 0 ? `malformed message from the exchange (${event.count} so far): ${event.reason}` : event.reason };
    case "stream_silent":
      return { level: "warning", streams: [_key(event)], text: `stream silent for ${formatDuration(event.silentMs)} while its connection delivers the others: repaired over REST, moved to a fresh connection` };
    case "symbol_listed":
      return { level: "info", streams: [event.symbol], text: `new listing ${event.symbol}: recorded from its first candle` };
    case "symbol_resumed":
      return { level: "info", streams: [event.symbol], text: `${event.symbol} trades again: recording resumed` };
    case "symbol_retired":
      return { level: "warning", streams: [event.symbol], text: `${event.symbol} stopped trading (${event.status}): retired, its CSVs closed` };
    case "symbols_refresh_failed":
      return { level: "warning", text: `could not re-read the symbol list: ${event.error}; recording the known symbols, retrying` };
    case "db_unreachable":
      return { level: "critical", text: `database ${event.target} ${event.refused ? "refuses the rows" : "unreachable"}: ${event.error}; the CSVs keep every row, replication retries` };
    case "db_recovered":
      return { level: "success", text: `database ${event.target} reachable again after ${formatDuration(event.downMs)}; catching up from the CSVs` };
    case "db_conflict":
      return { level: "critical", streams: [_key(event)], text: `the table already holds ${formatIsoSeconds(event.openTime)} with other values: kept, ours recorded in ${event.table}_conflicts` };
    case "db_row_rejected":
      return { level: "critical", streams: [_key(event)], text: `the database refused the row ${formatIsoSeconds(event.openTime)}: ${event.error}` };
    case "replication_lagging":
      return { level: "critical", text: `replication ${formatDuration(event.lagMs)} behind: ${event.pendingRows} rows not yet in the database` };
    case "replication_caught_up":
      return { level: "success", text: "replication caught up" };
    case "watchdog_stale":
      return { level: "critical", streams: event.streams, text: `watchdog: ${_what(event.verdict)}: ${event.problems.join("; ")} (state file ${event.stateFile})` };
    case "watchdog_recovered":
      return { level: "success", streams: event.streams, text: `watchdog: recorder healthy again after ${formatDuration(Math.floor(event.troubleMs / 1000) * 1000)} of trouble` };
    case "watchdog_stopped":
      return { level: "info", streams: event.streams, text: `watchdog: recorder stopped gracefully${event.reason ? ` (${event.reason})` : ""}` };
    default:
      return undefined;
  }
}

/**
 * Events not worth an alert: malformed frames after the first (they are counted
 * in the log), and routine proactive restarts when `alerts.proactive` is false.
 */
export function isMuted(event: AlertEvent, options: { proactive: boolean }): boolean {
  if (event.type === "malformed_message") return event.count > 1;
  if (event.type === "proactive_restart") return !options.proactive;
  return false;
}

// --- internal ---

function _key(event: { symbol: string; interval: string }): string {
  return `${event.symbol}@${event.interval}`;
}

function _what(verdict: string): string {
  return verdict === "unreadable" ? "no readable state file" : `recorder ${verdict}`;
}

function _plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function _times(times: number[]): string {
  const shown = times.slice(0, LIST_MAX).map(formatIsoSeconds).join(", ");
  return times.length > LIST_MAX ? `${shown} (+${times.length - LIST_MAX} more)` : shown;
}
