import { afterEach, describe, expect, test } from "bun:test";
import { fetchClosedKlines, RestUnavailableError } from "../../src/exchange/rest-klines.ts";
import { createRestBudget, type BudgetRequest } from "../../src/exchange/rest-budget.ts";
import { UserError } from "../../src/errors.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

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

describe("fetchClosedKlines with a shared REST budget", () => {
  const clock = () => new FakeClock(T0 + 10_000);

  test("after a 429, no request of any fetcher reaches the server before Retry-After has passed (no 418 is provoked)", async () => {
    const fake = clock();
    const budget = createRestBudget({ clock: fake });
    const statuses: number[] = [];
    let bannedUntil = -Infinity;
    let release429!: () => void;
    const gate = new Promise<void>((resolve) => (release429 = resolve));
    let arrived = 0;
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async () => {
        const n = arrived++;
        if (n < 3) {
          // Three fetchers' first requests arrive together, before any 429 is sent; all get one.
          if (n === 2) release429();
          await gate;
          bannedUntil = fake.now() + 2000;
          statuses.push(429);
          return json({ code: -1003, msg: "Too many requests" }, { status: 429, headers: { "retry-after": "2", "x-mbx-used-weight-1m": "4321" } });
        }
        const status = fake.now() < bannedUntil ? 418 : 200;
        statuses.push(status);
        if (status === 418) return json({ code: -1003, msg: "banned" }, { status: 418, headers: { "retry-after": "120" } });
        return json(rows(T0 - 3 * M, T0), { headers: { date: new Date(fake.now()).toUTCString(), "x-mbx-used-weight-1m": "10" } });
      },
    });
    const restUrl = `http://127.0.0.1:${server.port}`;
    const fetchers = ["BTCUSDT", "ETHUSDT", "BNBUSDT"].map((symbol) =>
      fetchClosedKlines({ restUrl, symbol, interval: "1m", startTime: T0 - 3 * M, endTime: T0 - M, clock: fake, budget, stream: `${symbol}@1m` }),
    );
    for (let i = 0; i < 200 && budget.snapshot().rateLimited < 3; i++) await Bun.sleep(5);
    expect(budget.snapshot()).toMatchObject({ rateLimited: 3, pausedUntil: T0 + 12_000, queued: 3 });
    expect(budget.snapshot().usedThisMinute).toBeGreaterThanOrEqual(4321);
    await Bun.sleep(100);
    await fake.advance(1999);
    await Bun.sleep(100);
    expect(arrived).toBe(3);
    await fake.advance(1);
    const results = await Promise.all(fetchers);
    expect(results.map((c) => c.length)).toEqual([3, 3, 3]);
    expect(statuses).toEqual([429, 429, 429, 200, 200, 200]);
  });

  test("asks the budget for weight 2 per attempt, with its stream and hole, and releases every slot", async () => {
    const fake = clock();
    const inner = createRestBudget({ clock: fake });
    const asked: BudgetRequest[] = [];
    const budget = { ...inner, acquire: (r: BudgetRequest) => (asked.push(r), inner.acquire(r)) };
    const url = serve((_u, n) => (n === 0 ? new Response("down", { status: 503 }) : json(rows(T0 - 2 * M, T0), { headers: { date: new Date(fake.now()).toUTCString() } })));
    const candles = await fetchClosedKlines({ restUrl: url, symbol: "BTCUSDT", interval: "1m", startTime: T0 - 2 * M, endTime: T0 - M, clock: fake, budget, stream: "BTCUSDT@1m", holeFrom: T0 - 2 * M });
    expect(candles).toHaveLength(2);
    expect(asked.map((r) => [r.weight, r.stream, r.holeFrom])).toEqual([
      [2, "BTCUSDT@1m", T0 - 2 * M],
      [2, "BTCUSDT@1m", T0 - 2 * M],
    ]);
    expect(inner.snapshot()).toMatchObject({ granted: 2, inFlight: 0, queued: 0 });
  });

  test("a fetch stopped while it waits in the budget fails as stopped, without a request", async () => {
    const fake = clock();
    const budget = createRestBudget({ clock: fake });
    budget.pause(60_000, 429);
    let requests = 0;
    const url = serve(() => (requests++, json([])));
    const controller = new AbortController();
    const pending = fetchClosedKlines({ restUrl: url, symbol: "BTCUSDT", interval: "1m", startTime: T0, clock: fake, budget, signal: controller.signal }).catch((e) => e);
    controller.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(RestUnavailableError);
    expect(requests).toBe(0);
    expect(budget.snapshot().queued).toBe(0);
  });
});
