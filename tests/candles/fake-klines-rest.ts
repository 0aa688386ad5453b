import { candleOpenAt, nextOpenTime, type Interval } from "../../src/time/intervals.ts";

/** A 12-field kline row as Binance's REST API answers it (decimals as strings). */
export type KlineRow = [number, string, string, string, string, string, number, string, number, string, string, string];

export interface FakeKlinesRest extends Disposable {
  url: string;
  /** Query strings of the klines requests received, in order. */
  requests: URLSearchParams[];
}

/**
 * `GET /api/v3/klines` with Binance's semantics over a deterministic market: every
 * open time of `interval` has a candle except `missing` ones (a trading halt),
 * none before `listedAt` and none after `now`; the candle still open at `now` is
 * returned last, as Binance does. startTime/endTime inclusive, limit default 500,
 * max 1000; an unknown symbol is error -1121.
 */
export function startFakeKlinesRest(options: { symbol: string; interval: Interval; now: number; missing?: number[]; listedAt?: number }): FakeKlinesRest {
  const requests: URLSearchParams[] = [];
  const missing = new Set(options.missing ?? []);
  const server = Bun.serve({
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname !== "/api/v3/klines") return new Response("not found", { status: 404 });
      requests.push(url.searchParams);
      const q = url.searchParams;
      if (q.get("symbol") !== options.symbol) return Response.json({ code: -1121, msg: "Invalid symbol." }, { status: 400 });
      if (q.get("interval") !== options.interval) return Response.json({ code: -1120, msg: "Invalid interval." }, { status: 400 });
      const limit = Math.min(Number(q.get("limit") ?? 500), 1000);
      const start = Number(q.get("startTime") ?? 0);
      const end = q.has("endTime") ? Number(q.get("endTime")) : Infinity;
      const rows: KlineRow[] = [];
      let t = alignUp(options.interval, Math.max(start, options.listedAt ?? 0));
      while (rows.length < limit && t <= end && t <= options.now) {
        if (!missing.has(t)) rows.push(klineRow(options.interval, t));
        t = nextOpenTime(options.interval, t);
      }
      return Response.json(rows);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    [Symbol.dispose]: () => void server.stop(true),
  };
}

/** The fake market's candle at `openTime`: 8-decimal strings that a float would mangle. */
export function klineRow(interval: Interval, openTime: number): KlineRow {
  const p = 40_000 + ((openTime / 60_000) % 997);
  const close = nextOpenTime(interval, openTime) - 1;
  return [openTime, `${p}.12345678`, `${p + 50}.00000001`, `${p - 50}.10000000`, `${p + 1}.00000000`, "0.00000912", close, "123456.78900000", 42, "0.00000456", "61728.39450000", "0"];
}

/** The first open time at or after `t`. */
function alignUp(interval: Interval, t: number): number {
  const open = candleOpenAt(interval, t);
  return open < t ? nextOpenTime(interval, open) : open;
}
