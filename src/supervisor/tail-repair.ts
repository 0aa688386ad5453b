import { appendConflict, type ConflictRecord } from "../candles/conflict-log.ts";
import { formatCandleRow } from "../candles/csv.ts";
import type { CandleWriter } from "../candles/writer.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";
import type { TailVerdict } from "./tail-check.ts";

/**
 * Takes a disputed last row out of the CSV, crash-safely: the row is first kept in the
 * conflict log beside the CSV (fsync'd), then cut (truncate + fdatasync), then the
 * exchange's row appended in its place. A crash in between leaves the file ending at the
 * row before, which the next start backfills. Returns the record, or undefined when the
 * row is no longer the file's last (something was written since) and nothing was done.
 */
export function repairTail(writer: CandleWriter, verdict: Extract<TailVerdict, { kind: "replace" | "remove" }>, now: number): ConflictRecord | undefined {
  if (writer.lastOpenTime !== verdict.openTime || writer.heldRows > 0) return undefined;
  const columns = verdict.row.split(",").length === 11 ? "full" : "basic";
  const exchange = verdict.kind === "replace" ? verdict.exchange : undefined;
  const record: ConflictRecord = {
    detected_at: new Date(now).toISOString(),
    open_time: formatIsoSeconds(verdict.openTime),
    action: verdict.kind === "replace" ? "replaced" : "removed",
    fields: verdict.kind === "replace" ? verdict.fields : ["in progress"],
    file_row: verdict.row,
    exchange_row: exchange ? formatCandleRow(exchange, columns).trimEnd() : null,
  };
  appendConflict(writer.path, record);
  return writer.rewriteLastRow(exchange) ? record : undefined;
}
