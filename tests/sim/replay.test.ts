import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.ts";
import { loadReplay, parseReplay, replayKline } from "../../src/sim/replay.ts";
import { connectClient, startFakeBinance, waitUntil } from "../helpers/fake-binance.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);

const SEED_CSV = `timestamp,open,high,low,close,volume
2023-03-24T11:00:00Z,28039.71,28091.03,27963.84,28080.00,1267.42
2023-03-24T12:00:00Z,28080.00,28080.00,28080.00,28080.00,0.00
2023-03-24T14:00:00Z,28079.99,28253.01,27835.00,27989.06,8983.24
`;

const FULL_CSV = `timestamp,open,high,low,close,volume,close_time,quote_volume,trades,taker_buy_base,taker_buy_quote
2023-03-24T11:00:00Z,28039.71000000,28091.03000000,27963.84000000,28080.00000000,1267.41714000,2023-03-24T11:59:59.999Z,35521462.04342730,25083,675.90368000,18945009.69057470
2023-03-24T12:00:00Z,28080.00000000,28080.00000000,28080.00000000,28080.00000000,0.00000000,2023-03-24T12:39:41.646Z,0.00000000,0,0.00000000,0.00000000
`;

const BINANCE_MS = `1679655600000,28039.71000000,28091.03000000,27963.84000000,28080.00000000,1267.41714000,1679659199999,35521462.04342730,25083,675.90368000,18945009.69057470,0
1679659200000,28080.00000000,28080.00000000,28080.00000000,28080.00000000,0.00000000,1679661581646,0.00000000,0,0.00000000,0.00000000,0
1679666400000,28079.99000000,28253.01000000,27835.00000000,27989.06000000,8983.24018000,1679669999999,251817501.93233620,144497,4218.15328000,118301065.87102890,0
`;

const BINANCE_US = BINANCE_MS.replace(/^(\d{13}),(.*?),(\d{13}),/gm, "$1000,$2,$3000,");

describe("parseReplay", () => {
  test("the seed's 6-column CSV: rows by position, the missing 13:00 row stays a hole", () => {
    const table = parseReplay(SEED_CSV, "seed.csv");
    expect(table.period).toBe(4);
    expect([...table.rows.keys()]).toEqual([0, 1, 3]);
    expect(table.rows.get(3)).toEqual({ open: "28079.99", high: "28253.01", low: "27835.00", close: "27989.06", volume: "8983.24" });
  });

  test("Binance's 12 columns give the same positions and every value verbatim, in ms or µs", () => {
    const ms = parseReplay(BINANCE_MS, "dump.csv");
    expect(parseReplay(BINANCE_US, "dump-us.csv")).toEqual(ms);
    expect([...ms.rows.keys()]).toEqual([0, 1, 3]);
    expect(ms.rows.get(0)).toEqual({
      open: "28039.71000000", high: "28091.03000000", low: "27963.84000000", close: "28080.00000000", volume: "1267.41714000",
      quoteVolume: "35521462.04342730", trades: 25083, takerBuyBase: "675.90368000", takerBuyQuote: "18945009.69057470",
    });
  });

  test("our full CSV reads its extra columns by header name", () => {
    const table = parseReplay(FULL_CSV, "ours.csv");
    expect(table.rows.get(1)).toMatchObject({ trades: 0, quoteVolume: "0.00000000" });
    expect(table.rows.get(0)?.takerBuyQuote).toBe("18945009.69057470");
  });

  test.each([
    ["timestamp,open,high\n", "header lacks low, close, volume"],
    ["2024-01-01T00:00:00Z,1,2\n", "3 columns"],
    ["timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,abc,1,1\n", 'f.csv:2: low "abc" is not a decimal number'],
    ["timestamp,open,high,low,close,volume\nyesterday,1,2,1,1,1\n", 'f.csv:2: "yesterday" is not a time'],
    ["timestamp,open,high,low,close,volume\n2024-01-01T01:00:00Z,1,2,1,1,1\n2024-01-01T00:00:00Z,1,2,1,1,1\n", "f.csv:3: time goes backwards"],
    ["timestamp,open,high,low,close,volume\n", "has no candle rows"],
  ])("a bad file is a UserError naming the place: %#", (text, message) => {
    expect(() => parseReplay(text, "f.csv")).toThrow(UserError);
    expect(() => parseReplay(text, "f.csv")).toThrow(message);
  });
});

describe("replayKline", () => {
  const table = parseReplay(BINANCE_MS, "dump.csv");
  const start = T0 + 400;

  test("row k is the k-th candle of the requested interval from the start; it wraps; a hole is a gap", () => {
    const at = (k: number) => replayKline(table, 1, "BTCUSDT", "1s", T0 + k * 1000, start);
    expect(at(0)).toMatchObject({ openTime: T0, closeTime: T0 + 999, open: "28039.71000000", trades: 25083, quoteVolume: "35521462.04342730" });
    expect(at(1)).toMatchObject({ volume: "0.00000000", trades: 0 });
    expect(at(2)).toBeUndefined();
    expect(at(3)?.close).toBe("27989.06000000");
    expect(at(4)).toEqual({ ...at(0)!, openTime: T0 + 4000, closeTime: T0 + 4999, firstTradeId: at(4)!.firstTradeId, lastTradeId: at(4)!.lastTradeId });
    expect(at(6)).toBeUndefined();
    expect(at(-1)?.close).toBe("27989.06000000");
  });

  test("fields the file lacks are derived: quote volume from the mean price, taker volumes half", () => {
    const seed = parseReplay(SEED_CSV, "seed.csv");
    const k = replayKline(seed, 1, "BTCUSDT", "1h", T0, T0)!;
    expect(k).toMatchObject({ open: "28039.71", volume: "1267.42", takerBuyBase: "633.71" });
    const mean = (28039.71 + 28091.03 + 27963.84 + 28080.0) / 4;
    expect(Number(k.quoteVolume)).toBeCloseTo(1267.42 * mean, 2);
    expect(k.trades).toBeGreaterThan(0);
  });
});

describe("--replay through the exchange", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sim-replay-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("the stream closes with the file's rows, skips its hole, and REST agrees", async () => {
    const file = join(dir, "dump.csv");
    await writeFile(file, BINANCE_MS);
    const clock = new FakeClock(T0);
    await using exchange = await startFakeBinance({ clock, replay: file });
    const client = await connectClient(`${exchange.wsUrl}/ws/btcusdt@kline_1s`);
    await waitUntil(() => exchange.stats().openConnections === 1);
    await clock.advance(4000);
    const closes = [];
    for (let i = 0; i < 6; i++) {
      const event = await client.nextJson();
      if (event.k.x) closes.push([event.k.t - T0, event.k.c, event.k.n]);
    }
    expect(closes).toEqual([[0, "28080.00000000", 25083], [1000, "28080.00000000", 0], [3000, "27989.06000000", 144497]]);
    const rows = (await (await fetch(`${exchange.url}/api/v3/klines?symbol=BTCUSDT&interval=1s&startTime=${T0}&limit=3`)).json()) as unknown[][];
    expect(rows.map((r) => [r[0]! as number - T0, r[4], r[8]])).toEqual([[0, "28080.00000000", 25083], [1000, "28080.00000000", 0], [3000, "27989.06000000", 144497]]);
  });

  test("an unreadable file is a UserError", async () => {
    await expect(loadReplay(join(dir, "missing.csv"))).rejects.toThrow(/--replay: cannot read .*missing\.csv/);
  });
});
