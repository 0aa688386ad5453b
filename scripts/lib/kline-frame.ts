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

/** `{"stream":"s1@kline_1m","data":{"e":"kline",…,"k":{…}}}`, about 400 bytes. */
export function klineFrame(f: FrameSpec): string {
  const p = 100_000_000 + ((f.seq * 7919) % 1_000_000);
  const o = decimal8(p);
  const c = decimal8(p + (f.seq % 97));
  const h = decimal8(p + 150);
  const l = decimal8(p - 150);
  const v = decimal8(1_000_000 + f.seq * 13);
  const q = decimal8(100_000_000 + f.seq * 1301);
  const stream = `${f.symbol.toLowerCase()}@kline_${f.interval}`;
  return (
    `{"stream":"${stream}","data":{"e":"kline","E":${f.eventTime},"s":"${f.symbol}","k":{"t":${f.openTime},"T":${f.nextOpenTime - 1},` +
    `"s":"${f.symbol}","i":"${f.interval}","f":${f.seq * 10},"L":${f.seq * 10 + 9},"o":"${o}","c":"${c}","h":"${h}","l":"${l}",` +
    `"v":"${v}","n":10,"x":${f.closed},"q":"${q}","V":"${decimal8(500_000 + f.seq)}","Q":"${decimal8(50_000_000 + f.seq)}","B":"0"}}}`
  );
}

/** The CSV row the recorder must write for a closed frame (basic columns). */
export function expectedRow(f: FrameSpec, isoSeconds: (ms: number) => string): string {
  const p = 100_000_000 + ((f.seq * 7919) % 1_000_000);
  return `${isoSeconds(f.openTime)},${decimal8(p)},${decimal8(p + 150)},${decimal8(p - 150)},${decimal8(p + (f.seq % 97))},${decimal8(1_000_000 + f.seq * 13)}`;
}

/** 123456789 → "1.23456789". */
export function decimal8(units: number): string {
  const s = String(units).padStart(9, "0");
  return `${s.slice(0, -8)}.${s.slice(-8)}`;
}
