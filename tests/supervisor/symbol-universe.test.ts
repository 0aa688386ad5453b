import { expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve.ts";
import { UserError } from "../../src/errors.ts";
import type { ExchangeInfo, SymbolInfo } from "../../src/exchange/exchange-info.ts";
import { createRestBudget } from "../../src/exchange/rest-budget.ts";
import { createSymbolUniverse, type SymbolTarget } from "../../src/supervisor/symbol-universe.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const info = (list: [string, string, string?][]): ExchangeInfo => ({
  requestWeightPerMinute: 6000,
  symbols: list.map(([symbol, status, quote = "USDT"]): SymbolInfo => ({ symbol, status, baseAsset: symbol.replace(quote, ""), quoteAsset: quote, spotTradingAllowed: true })),
});

function setup(symbol: string, answers: ExchangeInfo[], extra: Record<string, string> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  const config = resolveConfig({}, undefined, { symbol, interval: "1m", symbolsRefresh: "1h", ...extra });
  const recorded = new Set<string>();
  const log: string[] = [];
  const target: SymbolTarget = {
    get symbols() {
      return [...recorded];
    },
    addSymbol(s, from) {
      recorded.add(s);
      log.push(`add ${s} ${from === undefined ? "-" : new Date(from).toISOString()}`);
    },
    retireSymbol(s, status) {
      recorded.delete(s);
      log.push(`retire ${s} ${status}`);
    },
  };
  let call = 0;
  const universe = createSymbolUniverse({ config, clock, budget: createRestBudget({ clock }), emit: (e) => log.push(e.type), warn: (m) => log.push(`warn ${m}`), fetchInfo: async () => answers[Math.min(call++, answers.length - 1)]! });
  return { clock, universe, target, recorded, log };
}

test("--symbol all --quote USDT: TRADING USDT symbols only; a listing is added from the previous look, a halt retired, a return resumed", async () => {
  const { clock, universe, target, recorded, log } = setup("all", [
    info([["BTCUSDT", "TRADING"], ["ETHUSDT", "TRADING"], ["ETHBTC", "TRADING", "BTC"], ["OLDUSDT", "BREAK"]]),
    info([["BTCUSDT", "TRADING"], ["ETHUSDT", "HALT"], ["ETHBTC", "TRADING", "BTC"], ["OLDUSDT", "BREAK"], ["NEWUSDT", "TRADING"]]),
    info([["BTCUSDT", "TRADING"], ["ETHUSDT", "TRADING"], ["ETHBTC", "TRADING", "BTC"], ["OLDUSDT", "TRADING"], ["NEWUSDT", "TRADING"]]),
  ], { quote: "USDT" });
  const start = await universe.initial();
  expect(start.trading).toEqual(["BTCUSDT", "ETHUSDT"]);
  for (const s of start.trading) recorded.add(s);
  universe.start(target);
  await clock.advance(3_600_000);
  await universe.refresh();
  expect(log).toContain("retire ETHUSDT HALT");
  expect(log).toContain("add NEWUSDT 2026-11-30T12:00:00.000Z");
  await clock.advance(3_600_000);
  await universe.refresh();
  expect(log).toContain("add ETHUSDT 2026-11-30T12:00:00.000Z");
  // Seen at start-up in BREAK: recorded from the start-up look on, not from its history.
  expect(log).toContain("add OLDUSDT 2026-11-30T12:00:00.000Z");
  expect([...recorded].sort()).toEqual(["BTCUSDT", "ETHUSDT", "NEWUSDT", "OLDUSDT"]);
  universe.stop();
});

test("a named list: an unknown symbol is a UserError, a halted one starts retired", async () => {
  const bad = setup("BTCUSDT,NOPEUSDT", [info([["BTCUSDT", "TRADING"]])]);
  expect(bad.universe.initial()).rejects.toBeInstanceOf(UserError);
  const { universe } = setup("BTCUSDT,ETHUSDT", [info([["BTCUSDT", "TRADING"], ["ETHUSDT", "BREAK"]])]);
  const start = await universe.initial();
  expect(start.trading).toEqual(["BTCUSDT"]);
  expect(start.halted).toEqual([{ symbol: "ETHUSDT", status: "BREAK" }]);
});

test("a failed refresh changes nothing and is reported", async () => {
  const { clock, universe, target, recorded, log } = setup("all", [info([["BTCUSDT", "TRADING"]])]);
  await universe.initial();
  recorded.add("BTCUSDT");
  let fail = true;
  const failing = createSymbolUniverse({
    config: resolveConfig({}, undefined, { symbol: "all", interval: "1m" }),
    clock,
    budget: createRestBudget({ clock }),
    emit: (e) => log.push(e.type),
    warn: () => {},
    fetchInfo: async () => {
      if (fail) throw new Error("connection refused");
      return info([["BTCUSDT", "TRADING"]]);
    },
  });
  failing.start(target);
  await failing.refresh();
  expect(log).toContain("symbols_refresh_failed");
  expect([...recorded]).toEqual(["BTCUSDT"]);
  fail = false;
  universe.stop();
  failing.stop();
});
