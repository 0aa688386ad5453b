import type { ConsolaInstance } from "consola";
import { describeStreamUrl } from "../stream/binance.ts";
import { formatDuration } from "../time/duration.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";
import type { RecorderEvent } from "./events.ts";

/**
 * The longest message the event log writes, in characters. The logger adds ~40 more
 * (timestamp, level, tag), so every line stays under 300: a last line of defence against
 * text from outside (a socket error, a REST reason) that quotes something huge.
 */
export const LOG_MESSAGE_MAX_CHARS = 240;

/** How many stream names the `started` line lists before it counts the rest. */
const STREAMS_SHOWN = 5;

/** One log line per recorder event (the plain-log view of what the dashboard shows). */
export function logRecorderEvent(log: ConsolaInstance, event: RecorderEvent): void {
  const line = _describe(event);
  if (!line) return;
  // With several connections, a connection's own events say which one.
  const connection = "connection" in event && event.connection !== undefined ? `connection ${event.connection}: ` : "";
  log[line.level](_cap(connection + line.message));
}

// --- internal ---

type LogLevel = "info" | "success" | "warn" | "error";

function _describe(event: RecorderEvent): { level: LogLevel; message: string } | undefined {
  const entry = (level: LogLevel, message: string) => ({ level, message });
  switch (event.type) {
    case "started":
      return entry("info", `recording ${_streams(event.streams)}`);
    case "stopped":
      return entry("info", `stopped: ${event.reason}`);
    case "connected":
      return entry("success", `connected to ${describeStreamUrl(event.url)} (attempt ${event.attempt})`);
    case "disconnected":
      return entry("warn", `disconnected: code ${event.code}${event.reason ? ` ${event.reason}` : ""} after ${formatDuration(event.upMs)} up`);
    case "connect_failed":
      if (!_isLoggedCount(event.attempt)) return;
      return entry("warn", `connection attempt ${event.attempt} failed: ${event.error}; retrying in ${formatDuration(event.retryInMs)} (and forever, with backoff)`);
    case "rest_retry":
      if (!_isLoggedCount(event.attempt)) return;
      return entry("warn", `${event.symbol}@${event.interval}: REST backfill request failed (${event.error}), attempt ${event.attempt}; retrying in ${formatDuration(event.retryInMs)}`);
    case "stream_dead":
      return entry("warn", `stream dead: no message for ${formatDuration(event.silentMs)}; reconnecting`);
    case "proactive_restart":
      return entry("info", `proactive restart at ${formatIsoSeconds(event.boundary)}: new connection took over`);
    case "proactive_restart_abandoned":
      return entry("info", `proactive restart for ${formatIsoSeconds(event.boundary)} skipped: ${event.reason}`);
    case "server_shutdown":
      return entry("warn", "the server announced a shutdown; moving to a new connection now");
    case "reconnecting_long":
      return entry("error", `still reconnecting after ${formatDuration(event.sinceMs)} (${event.attempts} attempts)`);
    case "backfill_repaired": {
      const first = event.candles[0]!;
      const last = event.candles[event.candles.length - 1]!;
      const span = event.candles.length === 1 ? formatIsoSeconds(first.openTime) : `${formatIsoSeconds(first.openTime)}..${formatIsoSeconds(last.openTime)}`;
      return entry("info", `${event.symbol}@${event.interval}: backfill repaired ${event.candles.length} candle${event.candles.length === 1 ? "" : "s"} (${span})`);
    }
    case "exchange_gap":
      return entry("warn", `${event.symbol}@${event.interval}: the exchange has no candle at ${event.openTimes.slice(0, 5).map(formatIsoSeconds).join(", ")}${event.openTimes.length > 5 ? ` (+${event.openTimes.length - 5} more)` : ""}: exchange gap, recorded`);
    case "unrepaired_hole":
      return entry("error", `${event.symbol}@${event.interval}: REST could not repair ${formatIsoSeconds(event.from)}..${formatIsoSeconds(event.to)}; later candles written after the hole (repair with 'resilience gaps --fill')`);
    case "row_conflict":
      return entry("error", `${event.symbol}@${event.interval}: ${_conflictText(event)}`);
    case "csv_write_failing":
      return entry("error", `${event.symbol}@${event.interval}: CSV write failing: ${event.error}`);
    case "csv_write_recovered":
      return entry("success", `${event.symbol}@${event.interval}: CSV writes recovered`);
    case "stream_silent":
      return entry("warn", `${event.symbol}@${event.interval}: stream silent for ${formatDuration(event.silentMs)} while its connection delivers the others; repairing over REST and moving it to a fresh connection`);
    case "symbol_listed":
      return entry("info", `${event.symbol}: new listing, recorded from its first candle`);
    case "symbol_resumed":
      return entry("info", `${event.symbol}: trading again, recording resumed`);
    case "symbol_retired":
      return entry("warn", `${event.symbol}: stopped trading (${event.status}); retired, its CSVs closed`);
    case "symbols_refresh_failed":
      return entry("warn", `could not re-read the symbol list (${event.error}); recording the known symbols, retrying`);
    case "db_unreachable":
      return entry("error", `database ${event.target} ${event.refused ? "refuses the rows" : "unreachable"} (${event.error}); the CSVs keep every row, replication retries with backoff`);
    case "db_recovered":
      return entry("success", `database ${event.target} reachable again after ${formatDuration(event.downMs)}; catching up from the CSVs`);
    case "db_conflict":
      return entry("error", `${event.symbol}@${event.interval}: the table holds ${formatIsoSeconds(event.openTime)} with other values; kept, ours is in ${event.table}_conflicts (stored ${event.stored}, ours ${event.offered})`);
    case "db_row_rejected":
      return entry("error", `${event.symbol}@${event.interval}: the database refused the row ${formatIsoSeconds(event.openTime)} (${event.error}); skipped, it stays in the CSV`);
    case "replication_lagging":
      return entry("warn", `replication is ${formatDuration(event.lagMs)} behind (${event.pendingRows} rows not yet in the database)`);
    case "replication_caught_up":
      return entry("success", "replication caught up: every row on disk is in the database");
    case "warning":
      return entry("warn", event.message);
    case "malformed_message":
      if (!_isLoggedCount(event.count)) return;
      return entry("warn", `ignored a malformed message (${event.count} so far): ${event.reason}`);
  }
}

function _conflictText(event: Extract<RecorderEvent, { type: "row_conflict" }>): string {
  const r = event.record;
  const what = r.action === "removed" ? `the last row (${r.open_time}) was a candle still in progress: removed, the exchange's close will be written` : `the last row (${r.open_time}) disagrees with the exchange in ${r.fields.join(", ")}: replaced by the exchange's row`;
  const earlier = event.earlierDiffers ? "; the row before differs too, so the file was written from another source: check it with 'resilience gaps --verify'" : "";
  return `${what}; the old row is kept in ${event.conflictLog}${earlier}`;
}

/** Repeated troubles are logged on the 1st, 2nd, 5th, 10th, 20th, 50th, 100th … occurrence, not each time. */
function _isLoggedCount(n: number): boolean {
  if (n <= 2) return true;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  return n === magnitude || n === 2 * magnitude || n === 5 * magnitude;
}

/** `BTCUSDT@1m, ETHUSDT@1m`, or `600 streams: BTCUSDT@1m, … (+595 more)`. */
function _streams(streams: string[]): string {
  if (streams.length <= STREAMS_SHOWN) return streams.join(", ");
  return `${streams.length} streams: ${streams.slice(0, STREAMS_SHOWN).join(", ")} (+${streams.length - STREAMS_SHOWN} more)`;
}

function _cap(message: string): string {
  return message.length > LOG_MESSAGE_MAX_CHARS ? `${message.slice(0, LOG_MESSAGE_MAX_CHARS - 1)}…` : message;
}
