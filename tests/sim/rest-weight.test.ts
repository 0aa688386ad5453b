import { describe, expect, test } from "bun:test";
import { createAttemptWindow, createLimitReporter } from "../../src/sim/limits.ts";
import { BAN_MS, createWeightMeter } from "../../src/sim/rest-weight.ts";
import { FakeClock } from "../helpers/fake-clock.ts";

const T0 = Date.UTC(2024, 0, 1);

describe("createWeightMeter", () => {
  test("counts weight per fixed UTC minute and remembers the peak", () => {
    const meter = createWeightMeter(100);
    expect(meter.charge(T0 + 59_000, 60)).toEqual({ kind: "ok", used: 60 });
    expect(meter.charge(T0 + 60_000, 30)).toEqual({ kind: "ok", used: 30 });
    expect(meter.used(T0 + 61_000)).toBe(30);
    expect(meter.peak).toBe(60);
  });

  test("over the limit: 429 with Retry-After to the end of the minute", () => {
    const meter = createWeightMeter(100);
    expect(meter.charge(T0 + 15_000, 100).kind).toBe("ok");
    expect(meter.charge(T0 + 15_000, 1)).toEqual({ kind: "429", used: 101, retryAfterS: 45 });
  });

  test("any request before the Retry-After ends is a 418 and a 2-minute ban; requests during the ban do not extend it", () => {
    const meter = createWeightMeter(10);
    meter.charge(T0, 11);
    expect(meter.charge(T0 + 30_000, 1)).toEqual({ kind: "418", used: 11, retryAfterS: 120, newBan: true, until: T0 + 30_000 + BAN_MS });
    expect(meter.charge(T0 + 90_000, 1)).toMatchObject({ kind: "418", retryAfterS: 60, newBan: false, until: T0 + 150_000 });
    expect(meter.charge(T0 + 149_999, 1)).toMatchObject({ kind: "418", retryAfterS: 1 });
    expect(meter.charge(T0 + 150_000, 1)).toEqual({ kind: "ok", used: 1 });
  });

  test("after the Retry-After has passed, the next minute is clean", () => {
    const meter = createWeightMeter(10);
    meter.charge(T0 + 50_000, 11);
    expect(meter.charge(T0 + 60_000, 5)).toEqual({ kind: "ok", used: 5 });
  });
});

describe("createAttemptWindow", () => {
  test("allows the limit in any sliding window, counting refused attempts too", () => {
    const window = createAttemptWindow(3, 1000);
    expect([0, 100, 200].map((t) => window.record(T0 + t))).toEqual([false, false, false]);
    expect(window.record(T0 + 300)).toBe(true);
    expect(window.record(T0 + 1000)).toBe(true); // the refused attempt at +300 still counts
    expect(window.record(T0 + 1250)).toBe(false); // +0..+200 have left the window
  });
});

describe("createLimitReporter", () => {
  test("counts every hit and folds a burst of one kind into the next line", async () => {
    const clock = new FakeClock(T0);
    const lines: string[] = [];
    const limits = createLimitReporter(clock, (line) => lines.push(line));
    limits.hit("rest418", "banned");
    limits.hit("rest418", "banned");
    limits.hit("rest418", "banned");
    limits.hit("uri414", "long");
    await clock.advance(1000);
    limits.hit("rest418", "banned");
    expect(lines).toEqual(["limit rest418: banned", "limit uri414: long", "limit rest418: banned (+2 more)"]);
    expect(limits.counts()).toEqual({ uri414: 1, tooManyStreams: 0, attempts429: 0, messages1008: 0, rest429: 0, rest418: 4 });
  });
});
