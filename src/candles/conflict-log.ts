import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";

/**
 * A row the recorder took out of a CSV because the exchange disagrees with it, kept beside
 * the CSV in `<csv>.conflicts.jsonl` (one JSON object a line) before the CSV is touched.
 */
export interface ConflictRecord {
  /** When the recorder found it, ISO 8601. */
  detected_at: string;
  /** The row's open time, ISO 8601. */
  open_time: string;
  /** replaced: the exchange's row took its place; removed: it was a candle still in progress. */
  action: "replaced" | "removed";
  /** The fields that differ (`row` when the whole row is unreadable). */
  fields: string[];
  /** The row as it was in the file, without its newline. */
  file_row: string;
  /** The exchange's row in the file's format, or null when the candle had not closed. */
  exchange_row: string | null;
}

export function conflictLogPath(csvPath: string): string {
  return `${csvPath}.conflicts.jsonl`;
}

/** Appends one record durably (fdatasync) before the CSV is changed, so the old row is never lost. */
export function appendConflict(csvPath: string, record: ConflictRecord): void {
  const fd = openSync(conflictLogPath(csvPath), "a");
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The records kept beside `csvPath`, oldest first; [] when there are none. Unreadable lines are skipped. */
export function readConflicts(csvPath: string): ConflictRecord[] {
  let text: string;
  try {
    text = readFileSync(conflictLogPath(csvPath), "utf8");
  } catch {
    return [];
  }
  const out: ConflictRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as ConflictRecord;
      if (typeof record.open_time === "string" && typeof record.file_row === "string") out.push(record);
    } catch {}
  }
  return out;
}
