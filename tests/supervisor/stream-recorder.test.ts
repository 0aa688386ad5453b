import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Candle } from "../../src/candles/candle.ts";
import { readConflicts } from "../../src/candles/conflict-log.ts";
import { createCandleWriter, type CandleWriter } from "../../src/candles/writer.ts";
import { createStreamRecorder, HOLD_LIMIT_MS, type StreamRecorder } from "../../src/supervisor/stream-recorder.ts";
import { fetchClosedPage } from "../../src/exchange/rest-klines.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12);
let dir: string;
let writer: CandleWriter;
let clock: FakeClock;
let recorder: StreamRecorder | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rec-"));
  writer = createCandleWriter({ path: join(dir, "c.csv"), columns: "basic" });
  clock = new FakeClock(T0);
});
afterEach(() => {
  recorder?.stop();
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

function candle(i: number): Candle {
  const t = T0 + i * M;
  return { symbol: "BTCUSDT", interval: "1m", openTime: t, closeTime: t + M - 1, open: `${i}.5`, high: `${i}.9`, low: `${i}.1`, close: `${i}.7`, volume: "1", quoteVolume: "1", trades: 1, takerBuyBase: "0", takerBuyQuote: "0" };
}
const rows = () => readFileSync(join(dir, "c.csv"), "utf8").trim().split("\n").slice(1).map((l) => (Date.parse(l.split(",")[0]!) - T0) / M);

/** The exchange's REST side: the candles it has, closed ones only by the fake clock. */
function exchangeWith(has: (i: number) => boolean) {
  const calls: number[] = [];
  const fetchClosed = async (from: number) => {
    calls.push((from - T0) / M);
    const out: Candle[] = [];
    for (let i = (from - T0) / M; T0 + (i + 1) * M <= clock.now(); i++) if (has(i)) out.push(candle(i));
    return { candles: out, more: false };
  };
  return { calls, fetchClosed };
}

function start(has: (i: number) => boolean = () => true) {
  const ex = exchangeWith(has);
  const events: string[] = [];
  recorder = createStreamRecorder({
    symbol: "BTCUSDT", interval: "1m", writer, clock, startAt: T0, fetchClosed: ex.fetchClosed,
    events: {
      exchangeGap: (t) => events.push(`gap ${t.map((x) => (x - T0) / M).join(",")}`),
      unrepaired: (a, b) => events.push(`unrepaired ${(a - T0) / M}..${(b - T0) / M}`),
    },
  });
  return { ...ex, events };
}

test("a candle after a hole is held while REST fills the hole, then all are written in order", async () => {
  const ex = start();
  await clock.advance(M);
  expect(recorder!.onClosed(candle(0))).toBe("written");
  await clock.advance(M + 500); // candle 1 closed but its close event was lost; 2's event comes first
  expect(recorder!.onClosed(candle(2))).toBe("held");
  expect(rows()).toEqual([0]);
  await clock.advance(10);
  expect(rows()).toEqual([0, 1, 2]);
  expect(ex.calls).toEqual([1]);
});

test("closes lost while nobody noticed are fetched one by one, each a few seconds after its close", async () => {
  const ex = start();
  await clock.advance(M);
  recorder!.onClosed(candle(0));
  await clock.advance(3 * M);
  expect(recorder!.onClosed(candle(3))).toBe("written");
  expect(rows()).toEqual([0, 1, 2, 3]);
  expect(ex.calls).toEqual([1, 2]);
});

test("a missing close event is fetched over REST a few seconds after the candle closed", async () => {
  const ex = start();
  await clock.advance(M);
  recorder!.onClosed(candle(0));
  await clock.advance(M + 3000);
  expect(ex.calls).toEqual([]);
  await clock.advance(1500);
  expect(ex.calls).toEqual([1]);
  expect(rows()).toEqual([0, 1]);
});

test("a candle the exchange does not have is an exchange gap once a later one exists, never retried", async () => {
  const ex = start((i) => i !== 2);
  await clock.advance(M);
  recorder!.onClosed(candle(0));
  recorder!.onClosed(candle(0)); // a duplicate close event
  await clock.advance(M);
  recorder!.onClosed(candle(1));
  await clock.advance(2 * M);
  recorder!.onClosed(candle(3));
  await clock.advance(10);
  expect(rows()).toEqual([0, 1, 3]);
  expect(ex.events).toEqual(["gap 2"]);
  await clock.advance(10 * M);
  expect(ex.events).toEqual(["gap 2"]);
});

test("REST down for longer than the hold limit: later candles are written after the hole, said loudly", async () => {
  const events: string[] = [];
  recorder = createStreamRecorder({
    symbol: "BTCUSDT", interval: "1m", writer, clock, startAt: T0,
    fetchClosed: async () => ({ candles: [], more: false }), // REST answers nothing, ever
    events: { unrepaired: (a, b) => events.push(`${(a - T0) / M}..${(b - T0) / M}`) },
  });
  await clock.advance(M);
  recorder.onClosed(candle(0));
  await clock.advance(2 * M);
  recorder.onClosed(candle(2));
  await clock.advance(HOLD_LIMIT_MS - 3 * M);
  expect(rows()).toEqual([0]);
  await clock.advance(5 * M);
  expect(events).toEqual(["1..2"]);
  expect(rows().slice(0, 2)).toEqual([0, 2]);
});

/** A recorder whose REST is a real HTTP client against `restUrl`, with the fake clock. */
function startWithRest(restUrl: string, events: string[]) {
  recorder = createStreamRecorder({
    symbol: "BTCUSDT", interval: "1m", writer, clock, startAt: T0,
    fetchClosed: (from, signal, openFrom) => fetchClosedPage({ restUrl, symbol: "BTCUSDT", interval: "1m", startTime: from, signal, clock, openFrom }),
    events: { unrepaired: (a, b) => events.push(`${(a - T0) / M}..${(b - T0) / M}`) },
  });
}

/** Moves the fake clock in steps, letting real sockets answer in between. */
async function advanceReal(ms: number, step = 20_000): Promise<void> {
  for (let left = ms; left > 0; left -= step) {
    await clock.advance(Math.min(step, left));
    await Bun.sleep(2);
  }
}

test.each([
  ["refuses connections", () => {
    const server = Bun.serve({ port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${server.port}`;
    server.stop(true);
    return { url, stop: () => {} };
  }],
  ["accepts and never answers", () => {
    const server = Bun.serve({ port: 0, fetch: () => new Promise<Response>(() => {}) });
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
  }],
])("a REST that %s cannot hold stream candles past the hold limit", async (_name, makeRest) => {
  const rest = makeRest();
  try {
    const events: string[] = [];
    startWithRest(rest.url, events);
    await clock.advance(M);
    recorder!.onClosed(candle(0));
    await clock.advance(2 * M);
    expect(recorder!.onClosed(candle(2))).toBe("held");
    await advanceReal(HOLD_LIMIT_MS - 3 * M);
    expect(rows()).toEqual([0]);
    await advanceReal(3 * M + 1000);
    expect(events).toEqual(["1..2"]);
    expect(rows()).toEqual([0, 2]);
    // Candles go on being written as they close, REST still down.
    await clock.advance(M);
    expect(recorder!.onClosed(candle(3))).toBe("written");
    expect(rows()).toEqual([0, 2, 3]);
  } finally {
    rest.stop();
  }
}, 30_000);

describe("the CSV's last row at start-up is checked against the exchange", () => {
  const rowOf = (c: Candle) => `${new Date(c.openTime).toISOString().replace(".000Z", "Z")},${c.open},${c.high},${c.low},${c.close},${c.volume}`;
  function startOn(lines: string[]) {
    writer.close();
    const path = join(dir, "t.csv");
    writeFileSync(path, ["timestamp,open,high,low,close,volume", ...lines].map((l) => `${l}\n`).join(""));
    writer = createCandleWriter({ path, columns: "basic" });
    const ex = exchangeWith(() => true);
    const conflicts: string[] = [];
    recorder = createStreamRecorder({
      symbol: "BTCUSDT", interval: "1m", writer, clock, startAt: undefined, fetchClosed: ex.fetchClosed,
      events: { conflict: (r, earlier) => conflicts.push(`${r.action} ${r.fields.join("+")}${earlier ? " earlier too" : ""}`) },
    });
    const fileRows = () => readFileSync(path, "utf8").trim().split("\n").slice(1);
    return { ex, conflicts, fileRows, path };
  }

  test("a last row the exchange disagrees with is replaced by the exchange's, the old one kept in the conflict log", async () => {
    await clock.advance(5 * M);
    const wrong = rowOf({ ...candle(2), close: "2.1", volume: "0.5" });
    const t = startOn([rowOf(candle(0)), rowOf(candle(1)), wrong]);
    recorder!.requestBackfill("start-up");
    await clock.advance(10);
    expect(t.fileRows()).toEqual([0, 1, 2, 3, 4].map((i) => rowOf(candle(i))));
    expect(t.conflicts).toEqual(["replaced close+volume"]);
    const log = readConflicts(t.path);
    expect(log.map((r) => [r.file_row, r.exchange_row, r.action])).toEqual([[wrong, rowOf(candle(2)), "replaced"]]);
  });

  test("an in-progress candle written by another tool is removed at once, and its real close written when it comes", async () => {
    await clock.advance(2 * M + 30_000); // candle 2 is open
    const t = startOn([rowOf(candle(0)), rowOf(candle(1)), rowOf({ ...candle(2), close: "2.3" })]);
    expect(t.conflicts).toEqual(["removed in progress"]);
    expect(t.fileRows()).toEqual([0, 1].map((i) => rowOf(candle(i))));
    await clock.advance(30_000);
    expect(recorder!.onClosed(candle(2))).toBe("written");
    expect(t.fileRows()).toEqual([0, 1, 2].map((i) => rowOf(candle(i))));
  });

  test("rows the exchange agrees with (kstlib's 2-decimal rounding included) are left alone", async () => {
    await clock.advance(3 * M);
    const rounded = (i: number) => rowOf({ ...candle(i), open: `${i}.50`, volume: "1.00" });
    const t = startOn([rounded(0), rounded(1)]);
    recorder!.requestBackfill("start-up");
    await clock.advance(10);
    expect(t.conflicts).toEqual([]);
    expect(t.fileRows()).toEqual([rounded(0), rounded(1), rowOf(candle(2))]);
    expect(t.ex.calls).toEqual([0]); // one request: the check and the backfill together
  });

  test("when the row before differs too, the file is said to come from another source", async () => {
    await clock.advance(3 * M);
    const t = startOn([rowOf({ ...candle(0), close: "9" }), rowOf({ ...candle(1), close: "9" })]);
    recorder!.requestBackfill("start-up");
    await clock.advance(10);
    expect(t.conflicts).toEqual(["replaced close earlier too"]);
  });
});

describe("a listing (firstFrom)", () => {
  /** REST as Binance serves it: candles opening at or after `from`, closed ones only, from the listing's candle on. */
  function listingExchange(firstIndex: number) {
    const calls: number[] = [];
    const fetchClosed = async (from: number) => {
      calls.push(from);
      const out: Candle[] = [];
      for (let i = firstIndex; T0 + (i + 1) * M <= clock.now(); i++) if (T0 + i * M >= from) out.push(candle(i));
      return { candles: out, more: false };
    };
    return { calls, fetchClosed };
  }

  test("the CSV starts with the listing's first candle even when the previous look was inside that candle, never with a live candle", async () => {
    await clock.advance(5 * M + 40_000); // listed at 5m30s, seen now; the previous look was at 5m10s
    const ex = listingExchange(5);
    recorder = createStreamRecorder({ symbol: "BTCUSDT", interval: "1m", writer, clock, startAt: undefined, firstFrom: T0 + 5 * M + 10_000, fetchClosed: ex.fetchClosed, events: {} });
    recorder.onLive(candle(5));
    recorder.requestBackfill("listed");
    await clock.advance(30_000); // REST has nothing closed yet: a few retries, then the stream's close asks again
    expect(rows()).toEqual([]);
    await clock.advance(20_000); // 6m10s: candle 5 closed (REST's last retry or its close event brings it)
    recorder.onClosed(candle(5));
    await clock.advance(10);
    expect(rows()).toEqual([5]);
    // Every REST call asked from the listing candle's open, never from the middle of it.
    expect(ex.calls.every((t) => t === T0 + 5 * M || t > T0 + 5 * M + M - 1)).toBe(true);
    await clock.advance(29_990); // 7m00s: candle 6's close event
    expect(recorder.onClosed(candle(6))).toBe("written");
    expect(rows()).toEqual([5, 6]);
  });

  test("a listing noticed late is recorded from its first candle, over REST", async () => {
    await clock.advance(9 * M + 5000); // listed at minute 3, noticed at 9m05s
    const ex = listingExchange(3);
    recorder = createStreamRecorder({ symbol: "BTCUSDT", interval: "1m", writer, clock, startAt: undefined, firstFrom: T0 + 2 * M, fetchClosed: ex.fetchClosed, events: {} });
    recorder.requestBackfill("listed");
    await clock.advance(10);
    expect(rows()).toEqual([3, 4, 5, 6, 7, 8]);
  });
});
