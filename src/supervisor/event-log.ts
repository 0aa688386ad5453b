import type { ConsolaInstance } from "consola";
import { formatDuration } from "../time/duration.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";
import type { RecorderEvent } from "./events.ts";

/** Repeated troubles are logged on the 1st, 2nd, 5th, 10th, 20th, 50th, 100th … occurrence, not each time. */
function _isLoggedCount(n: number): boolean {
  if (n <= 2) return true;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  return n === magnitude || n === 2 * magnitude || n === 5 * magnitude;
}

/** One log line per recorder event (the plain-log view of what the dashboard shows). */
export function logRecorderEvent(log: ConsolaInstance, event: RecorderEvent): void {
  switch (event.type) {
    case "started":
      return log.info(`recording ${event.streams.join(", ")}`);
    case "stopped":
      return log.info(`stopped: ${event.reason}`);
    case "connected":
      return log.success(`connected (attempt ${event.attempt})`);
    case "disconnected":
      return log.warn(`disconnected: code ${event.code}${event.reason ? ` ${event.reason}` : ""} after ${formatDuration(event.upMs)} up`);
    case "connect_failed":
      if (!_isLoggedCount(event.attempt)) return;
      return log.warn(`connection attempt ${event.attempt} failed: ${event.error}; retrying in ${formatDuration(event.retryInMs)} (and forever, with backoff)`);
    case "rest_retry":
      if (!_isLoggedCount(event.attempt)) return;
      return log.warn(`${event.symbol}@${event.interval}: REST backfill request failed (${event.error}), attempt ${event.attempt}; retrying in ${formatDuration(event.retryInMs)}`);
    case "stream_dead":
      return log.warn(`stream dead: no message for ${formatDuration(event.silentMs)}; reconnecting`);
    case "proactive_restart":
      return log.info(`proactive restart at ${formatIsoSeconds(event.boundary)}: new connection took over`);
    case "proactive_restart_abandoned":
      return log.info(`proactive restart for ${formatIsoSeconds(event.boundary)} skipped: ${event.reason}`);
    case "server_shutdown":
      return log.warn("the server announced a shutdown; moving to a new connection now");
    case "reconnecting_long":
      return log.error(`still reconnecting after ${formatDuration(event.sinceMs)} (${event.attempts} attempts)`);
    case "backfill_repaired": {
      const first = event.candles[0]!;
      const last = event.candles[event.candles.length - 1]!;
      const span = event.candles.length === 1 ? formatIsoSeconds(first.openTime) : `${formatIsoSeconds(first.openTime)}..${formatIsoSeconds(last.openTime)}`;
      return log.info(`${event.symbol}@${event.interval}: backfill repaired ${event.candles.length} candle${event.candles.length === 1 ? "" : "s"} (${span})`);
    }
    case "exchange_gap":
      return log.warn(`${event.symbol}@${event.interval}: the exchange has no candle at ${event.openTimes.slice(0, 5).map(formatIsoSeconds).join(", ")}${event.openTimes.length > 5 ? ` (+${event.openTimes.length - 5} more)` : ""}: exchange gap, recorded`);
    case "unrepaired_hole":
      return log.error(`${event.symbol}@${event.interval}: REST could not repair ${formatIsoSeconds(event.from)}..${formatIsoSeconds(event.to)}; later candles written after the hole (repair with 'resilience gaps --fill')`);
    case "csv_write_failing":
      return log.error(`${event.symbol}@${event.interval}: CSV write failing: ${event.error}`);
    case "csv_write_recovered":
      return log.success(`${event.symbol}@${event.interval}: CSV writes recovered`);
    case "warning":
      return log.warn(event.message);
    case "malformed_message":
      if (_isLoggedCount(event.count)) return log.warn(`ignored a malformed message (${event.count} so far): ${event.reason}`);
      return;
  }
}
