import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createConsola, type LogObject } from "consola";
import { createAlerter, type Alerter, type AlerterOptions } from "../../src/alerts/alerter.ts";
import type { AlertEvent } from "../../src/alerts/events.ts";
import { logText, until } from "../helpers/alert-logs.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { startFakeSlack, type FakeSlack } from "../helpers/fake-slack.ts";

const HB = "/services/T0/B0/heartbeat-secret-hb01";
const WD = "/services/T0/B0/watchdog-secret-wd02";
const EV = "/services/T0/B0/mainnet-secret-ev03";
const START = Date.UTC(2024, 0, 1, 12, 0, 0);

let slack: FakeSlack;
let clock: FakeClock;
let logs: LogObject[];
let alerter: Alerter | undefined;

beforeEach(() => {
  slack = startFakeSlack();
  clock = new FakeClock(START);
  logs = [];
});
afterEach(() => {
  alerter?.close();
  alerter = undefined;
  slack.stop();
  // No log line may ever hold a webhook URL or its secret path.
  for (const text of logs.map(logText)) {
    for (const secret of ["heartbeat-secret", "watchdog-secret", "mainnet-secret", slack.url("")]) expect(text).not.toContain(secret);
  }
});

function make(options: Partial<AlerterOptions> = {}): Alerter {
  alerter = createAlerter({
    webhooks: { heartbeat: slack.url(HB), watchdog: slack.url(WD), events: slack.url(EV) },
    host: "rec-1",
    streams: ["BTCUSDT@1h"],
    clock,
    timeoutMs: 2000,
    log: createConsola({ level: 5, reporters: [{ log: (o) => logs.push(o) }] }),
    ...options,
  });
  return alerter;
}

const disconnected: AlertEvent = { type: "disconnected", code: 1006, reason: "", upMs: 180_000, stale: false };
const connected: AlertEvent = { type: "connected", url: "wss://x", attempt: 2 };

describe("createAlerter", () => {
  test("routes stream death, watchdog findings and the rest to their channels, naming host, stream and UTC time", async () => {
    const a = make();
    a.alert({ type: "stream_dead", silentMs: 30_000 });
    a.alert({ type: "watchdog_stale", stateFile: "state/hb.json", verdict: "stale", problems: ["the heartbeat is 45s old"] });
    a.alert(connected);
    await until(() => a.stats().sent === 3);
    const byPath = Object.fromEntries(slack.posts.map((p) => [p.path, p.body.text ?? ""]));
    expect(byPath[HB]).toContain("stream dead: no message for 30s");
    expect(byPath[WD]).toContain("the heartbeat is 45s old");
    expect(byPath[EV]).toContain("connected to the exchange (attempt 2)");
    for (const text of Object.values(byPath)) {
      expect(text).toContain("rec-1");
      expect(text).toContain("BTCUSDT@1h");
      expect(text).toContain("2024-01-01T12:00:00Z");
    }
    expect(slack.posts[0]!.body.username).toBe("resilience");
    expect(a.stats()).toEqual({ sent: 3, queued: 0, failed: 0, dropped: 0 });
  });

  test("alert() returns at once and never throws, even while Slack hangs", async () => {
    slack.mode = "hang";
    const a = make({ timeoutMs: 5000 });
    a.alert(connected);
    a.alert({ type: "nonsense" } as unknown as AlertEvent);
    a.alert(null as unknown as AlertEvent);
    expect(a.stats().queued).toBe(1);
    expect(slack.posts).toHaveLength(0);
  });

  test("coalesces a flapping connection into one digest per min_interval", async () => {
    const a = make({ minIntervalMs: 60_000 });
    a.alert(disconnected);
    await slack.waitForPosts(1);
    await clock.advance(1000);
    a.alert(connected);
    a.alert(disconnected);
    await clock.advance(1000);
    a.alert(connected);
    await Bun.sleep(20);
    expect(slack.posts).toHaveLength(1);
    expect(a.stats().queued).toBe(1);
    await clock.advance(58_000);
    await slack.waitForPosts(2);
    const digest = slack.posts[1]!.body.text!;
    expect(digest).toContain("3 events since 2024-01-01T12:00:01Z");
    expect(digest.match(/connected to the exchange/g)).toHaveLength(2);
    expect(digest).toContain("disconnected: code 1006");
    // The next event after a quiet minute goes out on its own.
    await clock.advance(60_000);
    a.alert(connected);
    await slack.waitForPosts(3);
    expect(slack.posts[2]!.body.text).not.toContain("events since");
  });

  test("alerts.proactive false mutes routine proactive restarts", async () => {
    const muted = make({ proactive: false });
    muted.alert({ type: "proactive_restart", boundary: START });
    muted.alert(connected);
    await slack.waitForPosts(1);
    await Bun.sleep(20);
    expect(slack.posts.map((p) => p.body.text)).toEqual([expect.stringContaining("connected")]);
    muted.close();
    const loud = make({ proactive: true });
    loud.alert({ type: "proactive_restart", boundary: START });
    await slack.waitForPosts(2);
    expect(slack.posts[1]!.body.text).toContain("proactive restart at 2024-01-01T12:00:00Z");
  });

  test("keeps alerts raised during an outage and delivers them in order once Slack is back, logging once", async () => {
    slack.mode = 500;
    const a = make({ minIntervalMs: 0, retryMinMs: 1000 });
    a.alert({ type: "stopped", reason: "one" });
    await until(() => a.stats().failed >= 1);
    a.alert({ type: "stopped", reason: "two" });
    for (let i = 0; i < 3; i++) {
      await clock.advance(60_000);
      await until(() => a.stats().failed >= 2 + i);
    }
    expect(slack.posts).toHaveLength(0);
    expect(logs.filter((l) => l.type === "warn")).toHaveLength(1);
    expect(logText(logs.find((l) => l.type === "warn")!)).toContain("HTTP 500");
    slack.mode = "ok";
    await clock.advance(60_000);
    await until(() => a.stats().sent === 2);
    expect(slack.posts.map((p) => p.body.text)).toEqual([expect.stringContaining("recorder stopped: one"), expect.stringContaining("recorder stopped: two")]);
    expect(logs.some((l) => logText(l).includes("works again"))).toBe(true);
    expect(a.stats()).toMatchObject({ sent: 2, queued: 0, dropped: 0 });
  });

  test("past the queue bound, the oldest alerts are dropped and the next message says so", async () => {
    slack.mode = 503;
    const a = make({ minIntervalMs: 0, maxQueue: 3 });
    a.alert({ type: "stopped", reason: "r1" });
    await until(() => a.stats().failed >= 1);
    for (const r of ["r2", "r3", "r4", "r5", "r6"]) a.alert({ type: "stopped", reason: r });
    expect(a.stats()).toMatchObject({ queued: 3, dropped: 3 });
    slack.mode = "ok";
    await clock.advance(1000);
    await slack.waitForPosts(3);
    const texts = slack.posts.map((p) => p.body.text!);
    expect(texts[0]).toContain("3 older alerts were dropped");
    expect(texts[0]).toContain("recorder stopped: r4");
    expect(texts[1]).not.toContain("dropped");
    expect(texts.join("\n")).not.toContain("r1");
  });

  test("a refused webhook (404) drops the alert, logs once with the URL redacted, and keeps going", async () => {
    slack.mode = 404;
    const a = make({ minIntervalMs: 0 });
    a.alert({ type: "stopped", reason: "a" });
    a.alert({ type: "stopped", reason: "b" });
    await until(() => a.stats().dropped >= 2);
    const warns = logs.filter((l) => l.type === "warn").map(logText);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain("HTTP 404");
    expect(warns[0]).toContain("127.0.0.1");
    expect(warns[0]).toContain("/…/ev03");
    slack.mode = "ok";
    a.alert({ type: "stopped", reason: "c" });
    await slack.waitForPosts(1);
    expect(slack.posts[0]!.body.text).toContain("recorder stopped: c");
  });

  test("a Slack that never answers times out and is retried", async () => {
    slack.mode = "hang";
    const a = make({ timeoutMs: 100 });
    a.alert(connected);
    await until(() => a.stats().failed >= 1);
    expect(logText(logs.find((l) => l.type === "warn")!)).toContain("no answer within 100 ms");
    slack.mode = "ok";
    await clock.advance(1000);
    await until(() => a.stats().sent === 1);
    expect(a.stats()).toMatchObject({ sent: 1, failed: 1, queued: 0 });
  });

  test("flush sends pending digests at once and reports whether everything went out", async () => {
    const a = make({ minIntervalMs: 60_000 });
    a.alert(disconnected);
    await slack.waitForPosts(1);
    a.alert(connected);
    expect(await a.flush(5000)).toBe(true);
    expect(slack.posts).toHaveLength(2);

    slack.mode = 500;
    await clock.advance(60_000);
    a.alert({ type: "stopped", reason: "shutdown" });
    const done = a.flush(1000);
    await until(() => a.stats().failed >= 1);
    await clock.advance(1000);
    expect(await done).toBe(false);
    expect(a.stats().queued).toBe(1);
  });

  test("a channel without its own webhook falls back to the events webhook", async () => {
    const a = make({ webhooks: { events: slack.url(EV) } });
    a.alert({ type: "stream_dead", silentMs: 60_000 });
    a.alert({ type: "watchdog_recovered", stateFile: "s.json", troubleMs: 120_000 });
    await slack.waitForPosts(2);
    expect(slack.posts.map((p) => p.path)).toEqual([EV, EV]);
  });

  test("uses the injected fetch", async () => {
    let calls = 0;
    const a = make({ fetch: ((input: string | URL | Request, init?: RequestInit) => (calls++, fetch(input, init))) as typeof fetch });
    a.alert(connected);
    await slack.waitForPosts(1);
    expect(calls).toBe(1);
  });

  test("with no usable webhook it is a no-op alerter; a bad URL is said once, redacted", () => {
    const none = make({ webhooks: {} });
    expect(none.enabled).toBe(false);
    none.alert(connected);
    expect(none.stats()).toEqual({ sent: 0, queued: 0, failed: 0, dropped: 0 });
    const bad = make({ webhooks: { events: "hooks.slack.com/services/x0/x0/mainnet-secret-xyz9" } });
    expect(bad.enabled).toBe(false);
    const warn = logs.filter((l) => l.type === "warn").map(logText);
    expect(warn).toEqual([expect.stringContaining("…/xyz9 is not a URL")]);
  });
});
