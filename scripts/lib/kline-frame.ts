/**
 * Synthetic kline frames for the benchmarks, built from a template (no JSON.stringify
 * per message, so the server's cost stays small next to the client's): the combined
 * stream shape Binance sends, every field present, 8-decimal strings.
 */

export interface FrameSpec {
  /** Upper-case symbol, e.g. S1. */
  symbol: string;
  interval: string;
  openTime: number;
  /** Open time of the next candle. */
  nextOpenTime: number;
  closed: boolean;
  /** Event time, ms. */
  eventTime: number;
  /** Varies the prices and volumes from one message to the next. */
  seq: number;
}

/** `{"stream":"s1@kline_1m","data":{"e":"kline",…,"k":{…}}}`, about 300 bytes. */
export function klineFrame(f: FrameSpec): string {
  const d = _values(f.seq);
  const stream = `${f.symbol.toLowerCase()}@kline_${f.interval}`;
  return (
    `{"stream":"${stream}","data":{"e":"kline","E":${f.eventTime},"s":"${f.symbol}","k":{"t":${f.openTime},"T":${f.nextOpenTime - 1},` +
    `"s":"${f.symbol}","i":"${f.interval}","f":${f.seq * 10},"L":${f.seq * 10 + 9},"o":"${d.o}","c":"${d.c}","h":"${d.h}","l":"${d.l}",` +
    `"v":"${d.v}","n":10,"x":${f.closed},"q":"${d.q}","V":"${d.V}","Q":"${d.Q}","B":"0"}}}`
  );
}

/** The same candle as a `GET /api/v3/klines` row (Binance's 12 fields). */
export function klineRow(f: Omit<FrameSpec, "closed" | "eventTime" | "symbol" | "interval">): unknown[] {
  const d = _values(f.seq);
  return [f.openTime, d.o, d.h, d.l, d.c, d.v, f.nextOpenTime - 1, d.q, 10, d.V, d.Q, "0"];
}

/** The CSV row the recorder must write for a closed frame (basic columns). */
export function expectedRow(f: FrameSpec, isoSeconds: (ms: number) => string): string {
  const d = _values(f.seq);
  return `${isoSeconds(f.openTime)},${d.o},${d.h},${d.l},${d.c},${d.v}`;
}

/** 123456789 → "1.23456789". */
export function decimal8(units: number): string {
  const s = String(units).padStart(9, "0");
  return `${s.slice(0, -8)}.${s.slice(-8)}`;
}

// --- internal ---

function _values(seq: number) {
  const p = 100_000_000 + ((seq * 7919) % 1_000_000);
  return {
    o: decimal8(p),
    h: decimal8(p + 150),
    l: decimal8(p - 150),
    c: decimal8(p + (seq % 97)),
    v: decimal8(1_000_000 + seq * 13),
    q: decimal8(100_000_000 + seq * 1301),
    V: decimal8(500_000 + seq),
    Q: decimal8(50_000_000 + seq),
  };
}
