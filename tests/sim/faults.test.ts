import { describe, expect, test } from "bun:test";
import { UserError } from "../../src/errors.ts";
import { createFaultScheduler, describeFault, parseFaults, type Fault } from "../../src/sim/faults.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

describe("parseFaults", () => {
  test("reads every kind, sorts by time, and keeps every:", () => {
    const schedule = parseFaults("drop@30s,stall:10s@1m,refuse:20s@2m,close:1008@3m,skipclose@4m,dupclose@5m,garbage@6m,rest429:3@7m,rest5xx:2@7m30s,shutdown@8m,every:10m");
    expect(schedule.everyMs).toBe(600_000);
    expect(schedule.items.map((i) => [describeFault(i.fault), i.atMs])).toEqual([
      ["drop", 30_000],
      ["stall:10s", 60_000],
      ["refuse:20s", 120_000],
      ["close:1008", 180_000],
      ["skipclose", 240_000],
      ["dupclose", 300_000],
      ["garbage", 360_000],
      ["rest429:3", 420_000],
      ["rest5xx:2", 450_000],
      ["shutdown", 480_000],
    ]);
  });

  test.each([
    ["garbage@2m, drop@1m", [{ kind: "drop" }, { kind: "garbage" }]],
    ["close@0s", [{ kind: "close", code: 1000 }]],
    ["rest429@1s", [{ kind: "rest429", count: 1 }]],
    ["STALL:1m30s@0", [{ kind: "stall", ms: 90_000 }]],
    ["listing@1m,halt:ethusdt@2m,resume:ETHUSDT@3m,listing:NEWUSDT@4m", [{ kind: "listing" }, { kind: "halt", symbol: "ETHUSDT" }, { kind: "resume", symbol: "ETHUSDT" }, { kind: "listing", symbol: "NEWUSDT" }]],
    ["halt@1s,resume@2s", [{ kind: "halt" }, { kind: "resume" }]],
    ["silent@1s,silent:ethusdt@kline_1m@2s", [{ kind: "silent" }, { kind: "silent", stream: "ethusdt@kline_1m" }]],
  ] as [string, Fault[]][])("%s", (spec, faults) => {
    expect(parseFaults(spec).items.map((i) => i.fault)).toEqual(faults);
  });

  test.each([
    ["explode@1m", '"explode@1m": unknown fault "explode"'],
    ["drop", '"drop": it needs a time'],
    ["drop@soon", '"drop@soon": "soon" is not a duration'],
    ["stall@1m", '"stall@1m": stall needs a duration, like stall:10s@1m'],
    ["close:1006@1m", "close needs a code a server may send"],
    ["close:abc@1m", "close needs a code"],
    ["rest429:0@1m", "rest429 needs a count"],
    ["halt:@1m", "halt has an empty argument"],
    ["listing:BTC-USDT@1m", '"BTC-USDT" is not a symbol'],
    ["silent:ethusdt@depth@1m", '"ethusdt@depth" is not a kline stream'],
    ["drop:5@1m", "drop takes no argument"],
    ["stall:1s:2s@1m", "one argument at most"],
    ["every:0s,drop@1s", "every needs a duration above 0"],
    ["drop@10m,every:5m", "every:5m is not after the last fault (drop@10m)"],
    ["", "schedules no fault"],
  ])("%s is a UserError: %s", (spec, message) => {
    let error: unknown;
    try {
      parseFaults(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain("\n");
  });
});

test.each([
  [{ kind: "listing" }, "listing"],
  [{ kind: "halt", symbol: "ETHUSDT" }, "halt:ETHUSDT"],
  [{ kind: "silent", stream: "btcusdt@kline_1s" }, "silent:btcusdt@kline_1s"],
] as [Fault, string][])("describeFault(%j) is %s, which parses back", (fault, text) => {
  expect(describeFault(fault)).toBe(text);
  expect(parseFaults(`${text}@1s`).items[0]!.fault).toEqual(fault);
});

describe("createFaultScheduler", () => {
  test("fires at the times from its start and repeats every D until stopped", async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const fired: [string, number][] = [];
    const scheduler = createFaultScheduler({ schedule: parseFaults("drop@1s,garbage@3s,every:10s"), clock, fire: (f) => fired.push([f.kind, clock.now() - start]) });
    await clock.advance(25_000);
    expect(fired).toEqual([["drop", 1000], ["garbage", 3000], ["drop", 11_000], ["garbage", 13_000], ["drop", 21_000], ["garbage", 23_000]]);
    scheduler.stop();
    await clock.advance(60_000);
    expect(fired).toHaveLength(6);
    expect(clock.pending).toBe(0);
  });

  test("without every: fires once", async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    createFaultScheduler({ schedule: parseFaults("shutdown@2s"), clock, fire: (f) => fired.push(f.kind) });
    await clock.advance(3_600_000);
    expect(fired).toEqual(["shutdown"]);
  });
});
