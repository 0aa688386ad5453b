import type { DashboardCandle, DashboardSnapshot, DashboardStream } from "../../src/dashboard/snapshot.ts";

export const NOW = Date.UTC(2024, 2, 5, 14, 23, 7);
const HOUR_MS = 3_600_000;

/** `count` hourly candles ending before `NOW`, with Binance-style 8-decimal strings; deterministic. */
export function hourlyCandles(count: number, base: number, step: number): DashboardCandle[] {
  const lastOpen = Math.floor(NOW / HOUR_MS) * HOUR_MS - HOUR_MS;
  const candles: DashboardCandle[] = [];
  let close = base;
  for (let i = 0; i < count; i++) {
    const open = close;
    // A fixed wave, so snapshots never change.
    close = Math.round((open + step * Math.sin(i * 0.45) + step * 0.6 * Math.cos(i * 1.3)) * 100) / 100;
    const high = Math.max(open, close) + step * 0.25 * ((i % 3) + 1);
    const low = Math.min(open, close) - step * 0.2 * ((i % 4) + 1);
    candles.push({
      openTime: lastOpen - (count - 1 - i) * HOUR_MS,
      open: open.toFixed(8),
      high: high.toFixed(8),
      low: low.toFixed(8),
      close: close.toFixed(8),
      volume: (120 + ((i * 37) % 90) + (i % 7) * 0.12345).toFixed(8),
    });
  }
  return candles;
}

export function stream(symbol: string, overrides: Partial<DashboardStream> = {}): DashboardStream {
  const recent = overrides.recent ?? hourlyCandles(60, 62_000, 180);
  const last = recent[recent.length - 1];
  return {
    symbol,
    interval: "1h",
    lastPrice: "62431.07000000",
    previousPrice: "62430.99000000",
    lastUpdateAt: NOW - 800,
    candlesWritten: 1_234,
    lastClosedOpenTime: last?.openTime ?? null,
    backfilled: 3,
    exchangeGaps: 0,
    recent,
    ...overrides,
  };
}

/** A healthy recorder, connected for 2h: the base every other fixture changes. */
export function connected(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    version: "0.1.0",
    host: "rec-01",
    startedAt: NOW - 26 * HOUR_MS - 61_000,
    now: NOW,
    status: "connected",
    reconnectAttempt: 0,
    nextRetryAt: null,
    connectedSince: NOW - 2 * HOUR_MS - 5 * 60_000,
    lastMessageAt: NOW - 800,
    staleAfterMs: 60_000,
    nextRestartAt: NOW + HOUR_MS + 55 * 60_000,
    streams: [stream("BTCUSDT")],
    selected: 0,
    counters: {
      reconnectsReactive: 2,
      reconnectsProactive: 6,
      staleDetections: 1,
      restCalls: 4,
      alertsSent: 3,
      alertsQueued: 0,
      alertsFailed: 0,
      csvBytes: 1_288_490,
      lastFsyncAt: NOW - 1_200,
    },
    log: [
      { at: NOW - 9_000_000, level: "info", message: "connected to wss://stream.example/stream (1 stream)" },
      { at: NOW - 7_700_000, level: "warn", message: "no message for 1m; dropping the connection" },
      { at: NOW - 7_690_000, level: "info", message: "reconnected after 1 attempt" },
      { at: NOW - 7_680_000, level: "success", message: "backfilled 3 candles for BTCUSDT@1h over REST" },
      { at: NOW - 60_000, level: "info", message: "proactive restart in 1h55m" },
    ],
    utf8: true,
    colour: true,
    ...overrides,
  };
}

export function reconnecting(): DashboardSnapshot {
  return connected({
    status: "reconnecting",
    reconnectAttempt: 3,
    nextRetryAt: NOW + 4_000,
    connectedSince: null,
    lastMessageAt: NOW - 95_000,
    nextRestartAt: null,
    streams: [stream("BTCUSDT", { lastUpdateAt: NOW - 95_000 })],
    log: [
      ...connected().log,
      { at: NOW - 35_000, level: "warn", message: "connection closed (1006); reconnecting" },
      { at: NOW - 12_000, level: "error", message: "connect failed: Failed to connect\n    at stack line that must not show" },
    ],
  });
}

export function stale(): DashboardSnapshot {
  return connected({
    status: "stale",
    lastMessageAt: NOW - 72_000,
    streams: [stream("BTCUSDT", { lastUpdateAt: NOW - 72_000, previousPrice: "62431.07000000" })],
  });
}

export function severalStreams(): DashboardSnapshot {
  const symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "SHIBUSDT"];
  return connected({
    lastMessageAt: NOW - 31_000,
    selected: 7,
    streams: symbols.map((symbol, i) =>
      stream(symbol, {
        interval: i % 2 === 0 ? "1h" : "1m",
        lastPrice: symbol === "SHIBUSDT" ? "0.00002417" : `${(3000 / (i + 1)).toFixed(2)}000000`,
        previousPrice: i % 3 === 0 ? null : i % 3 === 1 ? "99999.00000000" : "0.00000001",
        candlesWritten: i * 1000 + 7,
        // The 1m streams are current too: their newest closed candle opened a minute ago.
        ...(i % 2 === 1 ? { lastClosedOpenTime: NOW - (NOW % 60_000) - 60_000 } : {}),
        exchangeGaps: i === 3 ? 2 : 0,
        recent: symbol === "SHIBUSDT" ? shibCandles() : hourlyCandles(40, 3000 / (i + 1), 5),
      }),
    ),
  });
}

function shibCandles(): DashboardCandle[] {
  return hourlyCandles(30, 1, 0.01).map((c) => ({
    ...c,
    open: (Number(c.open) / 40_000).toFixed(8),
    high: (Number(c.high) / 40_000).toFixed(8),
    low: (Number(c.low) / 40_000).toFixed(8),
    close: (Number(c.close) / 40_000).toFixed(8),
    volume: `${Math.round(Number(c.volume) * 1e7)}.00`,
  }));
}

export function ascii(): DashboardSnapshot {
  return { ...severalStreams(), utf8: false, selected: 0 };
}

const MINUTE_MS = 60_000;
/** Open time of the newest closed 1m candle at `NOW`. */
export const NEWEST_1M = Math.floor(NOW / MINUTE_MS) * MINUTE_MS - MINUTE_MS;

/** The state `manyStreams` gives stream `i`, and how many 1m candles it is behind. */
export function manyStreamsPlan(i: number): { state: "recording" | "lagging" | "backfilling" | "retired"; behind: number } {
  if (i % 100 === 0) return { state: "retired", behind: 0 };
  if (i % 40 === 1) return { state: "backfilling", behind: 0 };
  if (i % 10 === 3) return { state: "lagging", behind: 3 + (i % 97) };
  return { state: "recording", behind: i % 7 === 5 ? 2 : 0 }; // two behind is not lagging yet
}

/** `SYM0042USDT`: names sort like their numbers. */
export const manyName = (i: number) => `SYM${String(i).padStart(4, "0")}USDT`;

/**
 * `count` 1m streams in reverse name order (so the table has to sort them), with states
 * from `manyStreamsPlan`. They share one small candle list, as it costs nothing.
 */
export function manyStreams(count: number, overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  const recent = hourlyCandles(5, 100, 1);
  const streams: DashboardStream[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const plan = manyStreamsPlan(i);
    streams.push({
      symbol: manyName(i),
      interval: "1m",
      lastPrice: `${(i + 1) * 1.5}`,
      previousPrice: null,
      lastUpdateAt: NOW - 1_000,
      candlesWritten: i,
      lastClosedOpenTime: NEWEST_1M - plan.behind * MINUTE_MS,
      backfilled: 0,
      exchangeGaps: 0,
      recent,
      retiredAt: plan.state === "retired" ? NOW - 86_400_000 : null,
      backfilling: plan.state === "backfilling" && i % 80 !== 1,
      held: plan.state === "backfilling" && i % 80 === 1 ? 4 : 0,
    });
  }
  return connected({ streams, selected: 0, ...overrides });
}
