import { describe, expect, test } from "bun:test";
import { createRestBudget, type BudgetRequest, type RestBudget } from "../../src/exchange/rest-budget.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** Lets every promise chain settle (a macrotask runs only once microtasks are drained). */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Acquires `request`; on grant records it in `log` and, unless `hold`, releases at once. */
function ask(budget: RestBudget, clock: FakeClock, log: { id: string; at: number }[], id: string, request: BudgetRequest, hold = false) {
  return budget.acquire(request).then((release) => {
    log.push({ id, at: clock.now() });
    if (!hold) release();
    return release;
  });
}

describe("createRestBudget", () => {
  test("1,500 streams asking weight 2 under limit 1000: at most 800 a minute, all served within 4 minutes", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 1000 });
    const log: { id: string; at: number }[] = [];
    for (let i = 0; i < 1500; i++) void ask(budget, clock, log, `S${i}`, { weight: 2, stream: `S${i}@1m` });
    await flush();
    for (let minute = 0; minute < 6; minute++) {
      await clock.advance(M);
      await flush();
    }
    expect(log).toHaveLength(1500);
    const perMinute = new Map<number, number>();
    for (const g of log) perMinute.set(Math.floor((g.at - T0) / M), (perMinute.get(Math.floor((g.at - T0) / M)) ?? 0) + 2);
    expect([...perMinute.entries()]).toEqual([
      [0, 800],
      [1, 800],
      [2, 800],
      [3, 600],
    ]);
    expect(new Set(log.map((g) => g.id)).size).toBe(1500);
    const snap = budget.snapshot();
    expect(snap).toMatchObject({ limitPerMinute: 1000, capPerMinute: 800, peakPerMinute: 800, granted: 1500, queued: 0, inFlight: 0 });
  });

  test("a 429 pause blocks every request until its end, and a shorter later pause does not shorten it", async () => {
    const clock = new FakeClock(T0 + 10_000);
    const budget = createRestBudget({ clock });
    const log: { id: string; at: number }[] = [];
    budget.pause(30_000, 429);
    budget.pause(1_000, 429);
    for (const id of ["a", "b", "c"]) void ask(budget, clock, log, id, { weight: 2, stream: id });
    await flush();
    expect(budget.snapshot()).toMatchObject({ queued: 3, pausedUntil: T0 + 40_000, rateLimited: 2, banned: 0 });
    await clock.advance(29_999);
    await flush();
    expect(log).toHaveLength(0);
    await clock.advance(1);
    await flush();
    expect(log.map((g) => g.at)).toEqual([T0 + 40_000, T0 + 40_000, T0 + 40_000]);
    expect(budget.snapshot().pausedUntil).toBeUndefined();
  });

  test("a 418 counts as a ban and blocks too", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock });
    const log: { id: string; at: number }[] = [];
    budget.pause(120_000, 418);
    void ask(budget, clock, log, "a", { weight: 2 });
    await clock.advance(119_000);
    expect(log).toHaveLength(0);
    await clock.advance(1_000);
    await flush();
    expect(log).toHaveLength(1);
    expect(budget.snapshot()).toMatchObject({ banned: 1, rateLimited: 0 });
  });

  test("a used-weight header higher than our own count lowers what is granted", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 1000 });
    budget.observe(new Headers({ "X-MBX-USED-WEIGHT-1M": "700" }));
    budget.observe(new Headers({ "x-mbx-used-weight-1m": "650" })); // lower: ignored
    const log: { id: string; at: number }[] = [];
    for (let i = 0; i < 100; i++) void ask(budget, clock, log, `S${i}`, { weight: 2, stream: `S${i}` });
    await flush();
    expect(log).toHaveLength(50); // 700 + 50 * 2 = 800
    expect(budget.snapshot().usedThisMinute).toBe(800);
    await clock.advance(M);
    await flush();
    expect(log).toHaveLength(100); // a new minute: the header's count is gone
    expect(budget.snapshot().peakPerMinute).toBe(800);
  });

  test("weight still in flight when a header comes stays counted on top of it", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 1000 });
    const log: { id: string; at: number }[] = [];
    for (let i = 0; i < 5; i++) void ask(budget, clock, log, `S${i}`, { weight: 2, stream: `S${i}` }, true);
    await flush();
    budget.observe(new Headers({ "x-mbx-used-weight-1m": "100" }));
    expect(budget.snapshot().usedThisMinute).toBe(110);
  });

  test("a header dated in the previous minute (a request that crossed the boundary) does not count in this one", async () => {
    const clock = new FakeClock(T0 + M + 500);
    const budget = createRestBudget({ clock, limitPerMinute: 1000 });
    budget.observe(new Headers({ "x-mbx-used-weight-1m": "790", date: new Date(T0 + M - 1000).toUTCString() }));
    expect(budget.snapshot().usedThisMinute).toBe(0);
    budget.observe(new Headers({ "x-mbx-used-weight-1m": "790", date: new Date(T0 + M).toUTCString() }));
    expect(budget.snapshot().usedThisMinute).toBe(790);
  });

  test("round-robin: a stream asking 10 pages does not starve 5 others", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 10 }); // cap 8: four requests of 2 a minute
    const log: { id: string; at: number }[] = [];
    budget.pause(1, 429); // everyone queues before the first grant
    for (let page = 0; page < 10; page++) void ask(budget, clock, log, `A${page}`, { weight: 2, stream: "A" });
    for (const s of ["B", "C", "D", "E", "F"]) void ask(budget, clock, log, s, { weight: 2, stream: s });
    await flush();
    for (let minute = 0; minute < 4; minute++) {
      await clock.advance(M);
      await flush();
    }
    expect(log.map((g) => g.id)).toEqual(["A0", "B", "C", "D", "E", "F", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9"]);
    expect(log.find((g) => g.id === "F")!.at).toBe(T0 + M);
  });

  test("round-robin: a stream asking its pages one after another does not starve the others either", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 10 });
    const log: { id: string; at: number }[] = [];
    budget.pause(1, 429);
    const pages = (async () => {
      for (let page = 0; page < 6; page++) await ask(budget, clock, log, `A${page}`, { weight: 2, stream: "A" });
    })();
    for (const s of ["B", "C", "D", "E", "F"]) void ask(budget, clock, log, s, { weight: 2, stream: s });
    for (let minute = 0; minute < 4; minute++) {
      await clock.advance(M);
      await flush();
    }
    await pages;
    expect(log.map((g) => g.id)).toEqual(["A0", "B", "C", "D", "E", "F", "A1", "A2", "A3", "A4", "A5"]);
  });

  test("same share of grants: the oldest hole goes first, then arrival order", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, maxInFlight: 1 });
    const log: { id: string; at: number }[] = [];
    const first = await ask(budget, clock, log, "first", { weight: 2, stream: "first" }, true);
    void ask(budget, clock, log, "x", { weight: 2, stream: "x", holeFrom: 300 });
    void ask(budget, clock, log, "none", { weight: 2, stream: "none" });
    void ask(budget, clock, log, "y", { weight: 2, stream: "y", holeFrom: 100 });
    void ask(budget, clock, log, "y2", { weight: 2, stream: "y2", holeFrom: 100 });
    await flush();
    expect(budget.snapshot()).toMatchObject({ queued: 4, inFlight: 1 });
    first();
    await flush();
    expect(log.map((g) => g.id)).toEqual(["first", "y", "y2", "x", "none"]);
  });

  test("maxInFlight: a release frees one slot, however often it is called", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, maxInFlight: 3 });
    const log: { id: string; at: number }[] = [];
    const releases = Array.from({ length: 6 }, (_, i) => ask(budget, clock, log, `r${i}`, { weight: 2, stream: `r${i}` }, true));
    await flush();
    expect(log.map((g) => g.id)).toEqual(["r0", "r1", "r2"]);
    const release0 = await releases[0]!;
    release0();
    release0();
    await flush();
    expect(log).toHaveLength(4);
    expect(budget.snapshot()).toMatchObject({ inFlight: 3, queued: 2, granted: 4 });
  });

  test("an abort while queued rejects and removes the request; an aborted signal rejects at once", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock });
    const log: { id: string; at: number }[] = [];
    budget.pause(5_000, 429);
    const controller = new AbortController();
    const aborted = ask(budget, clock, log, "aborted", { weight: 2, stream: "a", signal: controller.signal });
    void ask(budget, clock, log, "kept", { weight: 2, stream: "b" });
    expect(budget.snapshot().queued).toBe(2);
    controller.abort(new Error("stopping"));
    expect(await aborted.catch((e: Error) => e.message)).toBe("stopping");
    expect(budget.snapshot().queued).toBe(1);
    await clock.advance(5_000);
    await flush();
    expect(log.map((g) => g.id)).toEqual(["kept"]);
    expect(budget.snapshot().granted).toBe(1);
    expect(await budget.acquire({ weight: 2, signal: AbortSignal.abort() }).then(() => "granted", () => "rejected")).toBe("rejected");
  });

  test("setLimit from exchangeInfo: a larger limit frees waiters at once, a smaller one holds them", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 10 });
    const log: { id: string; at: number }[] = [];
    for (let i = 0; i < 20; i++) void ask(budget, clock, log, `S${i}`, { weight: 2, stream: `S${i}` });
    await flush();
    expect(log).toHaveLength(4);
    budget.setLimit(25); // cap 20: six more this minute
    await flush();
    expect(log).toHaveLength(10);
    budget.setLimit(5); // cap 4: two a minute
    await clock.advance(M);
    await flush();
    expect(log).toHaveLength(12);
    expect(budget.snapshot()).toMatchObject({ limitPerMinute: 5, capPerMinute: 4, usedThisMinute: 4, peakPerMinute: 20 });
  });

  test("a heavy request at the head is not overtaken by lighter ones; one heavier than the cap goes alone in a fresh minute", async () => {
    const clock = new FakeClock(T0);
    const budget = createRestBudget({ clock, limitPerMinute: 25 }); // cap 20
    const log: { id: string; at: number }[] = [];
    void ask(budget, clock, log, "small", { weight: 2, stream: "s" });
    void ask(budget, clock, log, "heavy", { weight: 20, stream: "h" });
    void ask(budget, clock, log, "huge", { weight: 50, stream: "u" });
    void ask(budget, clock, log, "light", { weight: 2, stream: "l" });
    await flush();
    expect(log.map((g) => g.id)).toEqual(["small"]);
    await clock.advance(M);
    await flush();
    expect(log.map((g) => g.id)).toEqual(["small", "heavy"]);
    await clock.advance(M);
    await flush();
    expect(log.map((g) => g.id)).toEqual(["small", "heavy", "huge"]);
    await clock.advance(M);
    await flush();
    expect(log.map((g) => g.id)).toEqual(["small", "heavy", "huge", "light"]);
  });
});
