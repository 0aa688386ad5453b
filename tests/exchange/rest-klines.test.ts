import { afterEach, describe, expect, test } from "bun:test";
import { fetchClosedKlines } from "../../src/exchange/rest-klines.ts";
import { UserError } from "../../src/errors.ts";

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** Binance-shaped rows for minutes [from, to); decimals as strings. */
function rows(from: number, to: number, skip: number[] = []) {
  const out: unknown[][] = [];
  for (let t = from; t < to; t += M) {
    if (skip.includes(t)) continue;
    out.push([t, "1.10000000", "1.20000000", "1.00000000", "1.15000000", "10.5", t + M - 1, "11.5", 3, "5.25", "5.75", "0"]);
  }
  return out;
}

type Handler = (url: URL, n: number) => Response;
let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));
function serve(handler: Handler) {
  let n = 0;
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => handler(new URL(req.url), n++) });
  return `http://127.0.0.1:${server.port}`;
}
const json = (body: unknown, init?: ResponseInit) => Response.json(body, init);

describe("fetchClosedKlines", () => {
  test("pages through a server whose pages are smaller than 1000, and drops the open candle by the server's Date", async () => {
    const now = T0 + 1234 * M + 30_000; // inside the candle opening at minute 1234
    const url = serve((u) => {
      const start = Math.ceil((Number(u.searchParams.get("startTime")) - T0) / M) * M + T0;
      return json(rows(start, Math.min(start + 500 * M, T0 + 1235 * M)), { headers: { date: new Date(now).toUTCString() } });
    });
    const candles = await fetchClosedKlines({ restUrl: url, symbol: "BTCUSDT", interval: "1m", startTime: T0 });
    expect(candles).toHaveLength(1234);
    expect(candles[0]!.openTime).toBe(T0);
    expect(candles[1233]!.openTime).toBe(T0 + 1233 * M);
    expect(candles[5]!.open).toBe("1.10000000");
  });

  test("keeps a hole the exchange has (it is the caller who calls it an exchange gap)", async () => {
    const url = serve(() => json(rows(T0, T0 + 5 * M, [T0 + 2 * M]), { headers: { date: new Date(T0 + 10 * M).toUTCString() } }));
    const candles = await fetchClosedKlines({ restUrl: url, symbol: "BTCUSDT", interval: "1m", startTime: T0, endTime: T0 + 4 * M });
    expect(candles.map((c) => (c.openTime - T0) / M)).toEqual([0, 1, 3, 4]);
  });

  test("waits for Retry-After on 429, retries 5xx and malformed answers, then succeeds", async () => {
    const seen: number[] = [];
    const url = serve((_u, n) => {
      seen.push(n);
      if (n === 0) return json({ code: -1003, msg: "Too many requests" }, { status: 429, headers: { "retry-after": "0" } });
      if (n === 1) return new Response("oops", { status: 502 });
      if (n === 2) return json([[1, 2, 3]]);
      return json(rows(T0, T0 + 2 * M), { headers: { date: new Date(T0 + 10 * M).toUTCString() } });
    });
    const retries: string[] = [];
    const candles = await fetchClosedKlines({ restUrl: url, symbol: "BTCUSDT", interval: "1m", startTime: T0, onRetry: (i) => retries.push(i.reason) });
    expect(candles).toHaveLength(2);
    expect(retries[0]).toContain("HTTP 429");
    expect(retries[1]).toContain("HTTP 502");
    expect(retries[2]).toContain("12-field");
  });

  test("an unknown symbol is a UserError naming it", async () => {
    const url = serve(() => json({ code: -1121, msg: "Invalid symbol." }, { status: 400 }));
    const err = await fetchClosedKlines({ restUrl: url, symbol: "NOPE", interval: "1m", startTime: T0 }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain("symbol NOPE does not exist");
  });

  test("gives up after maxAttempts when asked to", async () => {
    const url = serve(() => new Response("down", { status: 503 }));
    const err = await fetchClosedKlines({ restUrl: url, symbol: "BTCUSDT", interval: "1m", startTime: T0, maxAttempts: 2 }).catch((e) => e);
    expect(String(err.message)).toContain("HTTP 503");
  });
});
