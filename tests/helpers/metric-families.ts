/** The recorder's own metric families and their types, as `/metrics` declares them (issue #14's contract). */
export const RECORDER_FAMILIES: Readonly<Record<string, string>> = {
  resilience_build_info: "gauge",
  resilience_candles_written_total: "counter",
  resilience_backfilled_candles_total: "counter",
  resilience_exchange_gaps_total: "counter",
  resilience_last_candle_timestamp_seconds: "gauge",
  resilience_reconnects_total: "counter",
  resilience_connections: "gauge",
  resilience_last_message_timestamp_seconds: "gauge",
  resilience_rest_requests_total: "counter",
  resilience_rest_weight_used: "gauge",
  resilience_write_seconds: "histogram",
  resilience_alerts_total: "counter",
};

/** The standard process families served beside them. */
export const PROCESS_FAMILIES: Readonly<Record<string, string>> = {
  process_cpu_seconds_total: "counter",
  process_resident_memory_bytes: "gauge",
  process_start_time_seconds: "gauge",
  process_open_fds: "gauge",
  process_max_fds: "gauge",
};
