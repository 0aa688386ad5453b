import type { Candle } from "../../src/candles/candle.ts";
import { formatCandleRow } from "../../src/candles/csv.ts";
import { NODE_FS, type WriterFs } from "../../src/candles/writer-file.ts";

export const H = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);

/** The i-th hourly BTCUSDT candle from 2024-01-01. */
export function candle(i: number, price = "42000.12345678"): Candle {
  return {
    symbol: "BTCUSDT",
    interval: "1h",
    openTime: T0 + i * H,
    closeTime: T0 + (i + 1) * H - 1,
    open: price,
    high: "42100.00000000",
    low: "0.00000001",
    close: "42050.50000000",
    volume: "12.34567891",
    quoteVolume: "518000.1",
    trades: 1234,
    takerBuyBase: "6.1",
    takerBuyQuote: "256000.9",
  };
}

/** The basic CSV rows of candles `from` to `to` (inclusive), newlines included. */
export function rows(from: number, to: number): string {
  let text = "";
  for (let i = from; i <= to; i++) text += formatCandleRow(candle(i), "basic");
  return text;
}

/** What to make fail: a write that stops halfway or writes nothing, a sync, a truncate, an fstat. */
export interface FlakySwitches {
  write: "ok" | "short" | "enospc";
  sync: boolean;
  truncate: boolean;
  fstat: boolean;
}

/** node:fs file calls that fail on demand; `calls` counts the attempts. */
export function createFlakyFs() {
  const fail: FlakySwitches = { write: "ok", sync: false, truncate: false, fstat: false };
  const calls = { write: 0, truncate: 0 };
  const fs: Partial<WriterFs> = {
    writeSync(fd, buffer) {
      calls.write++;
      if (fail.write === "enospc") throw _errno("ENOSPC", "no space left on device");
      if (fail.write === "short") return NODE_FS.writeSync(fd, buffer.subarray(0, Math.floor(buffer.length / 2)));
      return NODE_FS.writeSync(fd, buffer);
    },
    fdatasyncSync(fd) {
      if (fail.sync) throw _errno("EIO", "i/o error");
      NODE_FS.fdatasyncSync(fd);
    },
    ftruncateSync(fd, length) {
      calls.truncate++;
      if (fail.truncate) throw _errno("EIO", "i/o error");
      NODE_FS.ftruncateSync(fd, length);
    },
    fstatSync(fd) {
      if (fail.fstat) throw _errno("EIO", "i/o error");
      return NODE_FS.fstatSync(fd);
    },
  };
  return { fail, calls, fs };
}

// --- internal ---

function _errno(code: string, text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}`), { code });
}
