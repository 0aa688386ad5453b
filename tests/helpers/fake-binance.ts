import { startExchange, type Exchange, type ExchangeOptions } from "../../src/sim/exchange.ts";

export type { Exchange, SimKline } from "../../src/sim/exchange.ts";
export { simulatedKline } from "../../src/sim/exchange.ts";

/** A simulated exchange that `await using` stops at the end of the scope. */
export type FakeBinance = Exchange & AsyncDisposable;

/**
 * Starts the simulated Binance on a free port for a test: BTCUSDT, ETHUSDT and PEPEUSDT
 * unless told otherwise, faults logged nowhere unless `log` is given.
 *
 *   await using binance = await startFakeBinance({ clock });
 *   new WebSocket(`${binance.wsUrl}/ws/btcusdt@kline_1s`);
 */
export async function startFakeBinance(options: Partial<ExchangeOptions> = {}): Promise<FakeBinance> {
  const exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT", "PEPEUSDT"], log: () => {}, ...options });
  return Object.assign(exchange, { [Symbol.asyncDispose]: () => exchange.stop() });
}

/** A plain WebSocket client that queues what it receives, for protocol tests. */
export interface TestClient {
  ws: WebSocket;
  /** Every text frame received so far, in order. */
  received: string[];
  /** Payloads of the pings received. */
  pings: string[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** The next frame not yet taken; rejects after `timeoutMs` of real time. */
  next(timeoutMs?: number): Promise<string>;
  /** The next frame, parsed. */
  nextJson<T = any>(timeoutMs?: number): Promise<T>;
  /** Frames received but not yet taken. */
  readonly unread: number;
  send(value: unknown): void;
}

/** Connects to `url` and resolves once open; rejects with the connection error. */
export function connectClient(url: string): Promise<TestClient> {
  const ws = new WebSocket(url);
  const received: string[] = [];
  const pings: string[] = [];
  const waiters: (() => void)[] = [];
  let taken = 0;
  ws.addEventListener("message", (e) => {
    received.push(String(e.data));
    waiters.splice(0).forEach((w) => w());
  });
  ws.addEventListener("ping", (e) => pings.push(String((e as MessageEvent).data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
  const next = async (timeoutMs = 3000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (taken >= received.length) {
      if (Date.now() >= deadline) throw new Error(`no frame within ${timeoutMs} ms (received ${received.length})`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return received[taken++]!;
  };
  const client: TestClient = {
    ws,
    received,
    pings,
    closed,
    next,
    nextJson: async (timeoutMs) => JSON.parse(await next(timeoutMs)),
    get unread() {
      return received.length - taken;
    },
    send: (value) => ws.send(typeof value === "string" ? value : JSON.stringify(value)),
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => resolve(client), { once: true });
    ws.addEventListener("error", (e) => reject(new Error(`cannot connect to ${url}: ${(e as ErrorEvent).message ?? "error"}`)), { once: true });
  });
}

/** Polls `condition` in real time until it holds; throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}
