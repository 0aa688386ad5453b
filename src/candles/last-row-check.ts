import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { candleOpenAt, type Interval } from "../time/intervals.ts";
import type { Candle } from "./candle.ts";
import { rowOpenTime } from "./csv.ts";
import { rowDifferences } from "./row-compare.ts";

/** The file's last row set against the exchange's candle for the same open time. */
export interface LastRowCheck {
  time: number;
  /** Fields that differ; [] when the exchange agrees; `in progress` for a candle not closed yet. */
  fields: string[];
  fileRow: string;
  /** The exchange's values as `open,high,low,close,volume`, or null when it has no closed candle there. */
  exchangeRow: string | null;
}

/**
 * Asks the exchange about the file's last row (ours or kstlib's format; Binance's own dumps
 * are not checked): the row a crash, another tool's in-progress candle or a replaying
 * exchange would have got wrong. Undefined when there is nothing to compare.
 */
export async function checkLastRow(file: string, interval: Interval, now: number, fetchOne: (time: number) => Promise<Candle[]>): Promise<LastRowCheck | undefined> {
  const fileRow = readLastLine(file);
  const time = fileRow === undefined ? undefined : rowOpenTime(fileRow);
  if (fileRow === undefined || time === undefined) return undefined;
  if (time >= candleOpenAt(interval, now)) return { time, fields: ["in progress"], fileRow, exchangeRow: null };
  const exchange = (await fetchOne(time)).find((c) => c.openTime === time);
  if (!exchange) return { time, fields: ["missing on the exchange"], fileRow, exchangeRow: null };
  const exchangeRow = [exchange.open, exchange.high, exchange.low, exchange.close, exchange.volume].join(",");
  return { time, fields: rowDifferences(fileRow, exchange), fileRow, exchangeRow };
}

/** The last non-empty line of a file (without its line ending), read from its end. */
export function readLastLine(file: string, maxBytes = 64 * 1024): string | undefined {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    const lines = buf.subarray(0, n).toString("utf8").split("\n").map((l) => l.replace(/\r$/, ""));
    for (let i = lines.length - 1; i >= (start === 0 ? 0 : 1); i--) if (lines[i]!.trim()) return lines[i];
    return undefined;
  } finally {
    closeSync(fd);
  }
}
