import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createConsola, type LogObject } from "consola";
import { createAlerter, type Alerter, type AlerterOptions } from "../../src/alerts/alerter.ts";
import type { AlertDestination } from "../../src/alerts/destinations.ts";
import type { AlertEvent } from "../../src/alerts/events.ts";
import { startFakeAlertApi, type AlertApiKind, type AlertApiRequest, type FakeAlertApi } from "../helpers/fake-alert-api.ts";
import { logText, until } from "../helpers/alert-logs.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { startFakeSlack, type FakeSlack } from "../helpers/fake-slack.ts";

const TOKEN = "123456789:AAHsecretTelegramTokenZZZZZZZZZZZ0k1";
const DISCORD_SECRET = "discordSECRETwebhookTokenQWERTY77";
const WEBHOOK_SECRET = "relaySECRETpathTokenASDF55";
/** Substrings that must never reach a log line, a stat or a message. */
const SECRETS = [TOKEN, "AAHsecret", "discordSECRET", "relaySECRET", "slackSECRET"];
const START = Date.UTC(2024, 0, 1, 12, 0, 0);
const KINDS: AlertApiKind[] = ["telegram", "discord", "webhook"];

let api: FakeAlertApi;
let clock: FakeClock;
let logs: LogObject[];
let alerter: Alerter | undefined;

beforeEach(() => {
  clock = new FakeClock(START);
  logs = [];
});
afterEach(() => {
  const stats = JSON.stringify([alerter?.stats(), alerter?.channelStats()]);
  alerter?.close();
  alerter = undefined;
  api?.stop();
  for (const text of [...logs.map(logText), stats]) for (const secret of SECRETS) expect(text).not.toContain(secret);
});

/** The destination of `kind` pointing at the fake (Telegram: the fake is the API base). */
function destination(kind: AlertApiKind, fake: FakeAlertApi, channel: AlertDestination["channel"] = "events", chatId = "-1001234567890"): AlertDestination {
  if (kind === "telegram") return { kind, channel, api: fake.url(""), token: TOKEN, chatId };
  return { kind, channel, url: fake.url(kind === "discord" ? `/api/webhooks/987654/${DISCORD_SECRET}` : `/hooks/${WEBHOOK_SECRET}`) };
}

function make(destinations: AlertDestination[], options: Partial<AlerterOptions> = {}): Alerter {
  alerter = createAlerter({
    destinations,
    host: "rec-1",
    streams: ["BTCUSDT@1h"],
    clock,
    timeoutMs: 2000,
    log: createConsola({ level: 5, reporters: [{ log: (o) => logs.push(o) }] }),
    ...options,
  });
  return alerter;
}

/** The message text a request carries, whatever the service. */
function textOf(request: AlertApiRequest): string {
  return String(request.body.text ?? request.body.content ?? "");
}

const disconnected: AlertEvent = { type: "disconnected", code: 1006, reason: "", upMs: 180_000, stale: false };
const connected: AlertEvent = { type: "connected", url: "wss://x", attempt: 2 };

describe.each(KINDS)("%s", (kind) => {
  beforeEach(() => {
    api = startFakeAlertApi(kind);
  });

  test("sends one message per event, naming channel, host, stream and UTC time, without Slack markup", async () => {
    const a = make([destination(kind, api)]);
    a.alert(disconnected);
    await until(() => a.stats().sent === 1);
    const text = textOf(api.posts[0]!);
    expect(text).toStartWith("⚠️ ");
    expect(text).toContain("[events] rec-1");
    expect(text).toContain("BTCUSDT@1h · 2024-01-01T12:00:00Z\ndisconnected: code 1006 after 3m up");
    expect(text).not.toContain(":warning:");
    expect(a.channelStats()).toEqual([{ channel: kind, sent: 1, queued: 0, failed: 0, dropped: 0 }]);
    expect(a.stats()).toEqual({ sent: 1, queued: 0, failed: 0, dropped: 0 });
  });

  test("coalesces events raised within min_interval into one digest", async () => {
    const a = make([destination(kind, api)], { minIntervalMs: 60_000 });
    a.alert(disconnected);
    await api.waitForPosts(1);
    await clock.advance(1000);
    a.alert(connected);
    a.alert(disconnected);
    a.alert(connected);
    await Bun.sleep(20);
    expect(api.attempts).toHaveLength(1);
    expect(a.stats().queued).toBe(1);
    await clock.advance(59_000);
    await api.waitForPosts(2);
    const digest = textOf(api.posts[1]!);
    expect(digest).toContain("3 events since 2024-01-01T12:00:01Z");
    expect(digest.match(/connected to the exchange/g)).toHaveLength(2);
  });

  test("a 429 is retried after the retry-after the service gave, not before", async () => {
    api.script.push({ status: 429, retryAfterS: 7 });
    const a = make([destination(kind, api)], { retryMinMs: 1000 });
    a.alert(connected);
    await until(() => a.stats().failed === 1);
    expect(logText(logs.find((l) => l.type === "warn")!)).toContain("HTTP 429");
    await clock.advance(6999);
    await Bun.sleep(30);
    expect(api.attempts).toHaveLength(1);
    await clock.advance(1);
    await until(() => a.stats().sent === 1);
    expect(a.channelStats()).toEqual([{ channel: kind, sent: 1, queued: 0, failed: 1, dropped: 0 }]);
  });

  test("a long retry-after is honoured up to retryAfterMaxMs", async () => {
    api.script.push({ status: 429, retryAfterS: 3600 });
    const a = make([destination(kind, api)], { retryAfterMaxMs: 10_000 });
    a.alert(connected);
    await until(() => a.stats().failed === 1);
    await clock.advance(10_000);
    await api.waitForPosts(1);
  });

  test("a rate limit is waited out even by the shutdown flush", async () => {
    api.script.push({ status: 429, retryAfterS: 2 });
    const a = make([destination(kind, api)]);
    a.alert(connected);
    await until(() => a.stats().failed === 1);
    const done = a.flush(5000);
    await Bun.sleep(30);
    expect(api.attempts).toHaveLength(1);
    await clock.advance(2000);
    expect(await done).toBe(true);
  });

  test("5xx answers are counted as failures and retried with backoff until the service is back, logged once", async () => {
    api.mode = 500;
    const a = make([destination(kind, api)], { minIntervalMs: 0, retryMinMs: 1000 });
    a.alert({ type: "stopped", reason: "one" });
    await until(() => a.stats().failed === 1);
    a.alert({ type: "stopped", reason: "two" });
    await clock.advance(1000);
    await until(() => a.stats().failed === 2);
    await clock.advance(2000);
    await until(() => a.stats().failed === 3);
    expect(api.posts).toHaveLength(0);
    expect(logs.filter((l) => l.type === "warn").map(logText)).toEqual([expect.stringContaining("HTTP 500")]);
    api.mode = "ok";
    await clock.advance(4000);
    await until(() => a.stats().sent === 2);
    expect(api.posts.map(textOf)).toEqual([expect.stringContaining("recorder stopped: one"), expect.stringContaining("recorder stopped: two")]);
    expect(a.channelStats()).toEqual([{ channel: kind, sent: 2, queued: 0, failed: 3, dropped: 0 }]);
    expect(logs.some((l) => logText(l).includes("works again"))).toBe(true);
  });

  test("a refused message (4xx) is dropped and logged once; the answer's echo of the secret is redacted", async () => {
    api.mode = 404;
    const a = make([destination(kind, api)], { minIntervalMs: 0 });
    a.alert({ type: "stopped", reason: "a" });
    a.alert({ type: "stopped", reason: "b" });
    await until(() => a.stats().dropped === 2);
    const warns = logs.filter((l) => l.type === "warn").map(logText);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain("HTTP 404: ");
    expect(warns[0]).toContain("alert dropped");
    expect(a.channelStats()).toEqual([{ channel: kind, sent: 0, queued: 0, failed: 2, dropped: 2 }]);
  });

  test("a service that never answers times out and is retried", async () => {
    api.mode = "hang";
    const a = make([destination(kind, api)], { timeoutMs: 100 });
    a.alert(connected);
    await until(() => a.stats().failed === 1);
    expect(logText(logs.find((l) => l.type === "warn")!)).toContain("no answer within 100 ms");
    api.mode = "ok";
    await clock.advance(1000);
    await api.waitForPosts(1);
  });

  test("a network error that names the URL is logged redacted", async () => {
    const failing = (async (input: string | URL | Request) => {
      throw new Error(`connect ECONNREFUSED while posting to ${String(input)}`);
    }) as unknown as typeof fetch;
    const a = make([destination(kind, api)], { fetch: failing });
    a.alert(connected);
    await until(() => a.stats().failed === 1);
    const warn = logText(logs.find((l) => l.type === "warn")!);
    expect(warn).toContain("connect ECONNREFUSED while posting to 127.0.0.1:");
    expect(warn).toContain("alerts are kept and retried");
  });
});

describe("service formats", () => {
  test("Telegram: sendMessage with chat_id, plain text and no link previews", async () => {
    api = startFakeAlertApi("telegram");
    make([destination("telegram", api)]).alert({ type: "stream_dead", silentMs: 30_000 });
    const [post] = await api.waitForPosts(1);
    expect(post!.path).toBe(`/bot${TOKEN}/sendMessage`);
    expect(post!.body).toEqual({
      chat_id: "-1001234567890",
      text: "🚨 [heartbeat] rec-1 · BTCUSDT@1h · 2024-01-01T12:00:00Z\nstream dead: no message for 30s; reconnecting",
      disable_web_page_preview: true,
    });
  });

  test("Discord: content in Discord markdown, mentions disabled, cut to 2000 characters", async () => {
    api = startFakeAlertApi("discord");
    const a = make([destination("discord", api)], { minIntervalMs: 60_000 });
    a.alert(connected);
    const [first] = await api.waitForPosts(1);
    expect(first!.body).toEqual({
      content: "✅ **[events] rec-1** · BTCUSDT@1h · 2024-01-01T12:00:00Z\nconnected to the exchange (attempt 2)",
      username: "resilience",
      allowed_mentions: { parse: [] },
    });
    for (let i = 0; i < 20; i++) a.alert({ type: "stopped", reason: `${i} ${"x".repeat(150)} @everyone` });
    await clock.advance(60_000);
    const [, digest] = await api.waitForPosts(2);
    const content = String(digest!.body.content);
    expect(content.length).toBeLessThanOrEqual(2000);
    expect(content).toStartWith("ℹ️ **[events] rec-1** · BTCUSDT@1h · 20 events since");
    expect(content).toMatch(/… \d+ more lines cut \(message limit\)$/);
  });

  test("Telegram messages are cut to 4096 characters", async () => {
    api = startFakeAlertApi("telegram");
    const a = make([destination("telegram", api)], { minIntervalMs: 60_000 });
    a.alert(connected);
    await api.waitForPosts(1);
    for (let i = 0; i < 30; i++) a.alert({ type: "stopped", reason: "y".repeat(400) });
    await clock.advance(60_000);
    const [, digest] = await api.waitForPosts(2);
    expect(String(digest!.body.text).length).toBeLessThanOrEqual(4096);
    expect(String(digest!.body.text)).toContain("more lines cut");
  });

  test("generic webhook: the documented JSON shape, for one event and for a digest", async () => {
    api = startFakeAlertApi("webhook");
    const a = make([destination("webhook", api)], { minIntervalMs: 60_000 });
    a.alert({ type: "csv_write_failing", symbol: "ETHUSDT", interval: "1h", error: "ENOSPC" });
    const [single] = await api.waitForPosts(1);
    expect(single!.body).toEqual({
      source: "resilience",
      channel: "events",
      level: "critical",
      event: "csv_write_failing",
      host: "rec-1",
      streams: ["ETHUSDT@1h"],
      at: "2024-01-01T12:00:00Z",
      text: "🚨 [events] rec-1 · ETHUSDT@1h · 2024-01-01T12:00:00Z\nCSV write failing: ENOSPC",
      events: [{ type: "csv_write_failing", level: "critical", text: "CSV write failing: ENOSPC", streams: ["ETHUSDT@1h"], at: "2024-01-01T12:00:00Z" }],
      more: 0,
      dropped: 0,
    });
    await clock.advance(5000);
    a.alert(disconnected);
    a.alert(connected);
    await clock.advance(55_000);
    const [, digest] = await api.waitForPosts(2);
    expect(digest!.body).toMatchObject({ level: "warning", event: "digest", streams: ["BTCUSDT@1h"], at: "2024-01-01T12:00:05Z", more: 0, dropped: 0 });
    expect((digest!.body.events as { type: string }[]).map((e) => e.type)).toEqual(["disconnected", "connected"]);
  });

  test("generic webhook: past the queue bound, the next payload counts the dropped alerts", async () => {
    api = startFakeAlertApi("webhook");
    api.mode = 503;
    const a = make([destination("webhook", api)], { minIntervalMs: 0, maxQueue: 2 });
    a.alert({ type: "stopped", reason: "r1" });
    await until(() => a.stats().failed === 1);
    for (const r of ["r2", "r3", "r4"]) a.alert({ type: "stopped", reason: r });
    expect(a.stats()).toMatchObject({ queued: 2, dropped: 2 });
    api.mode = "ok";
    await clock.advance(1000);
    const [first] = await api.waitForPosts(2);
    expect(first!.body).toMatchObject({ dropped: 2, event: "stopped" });
    expect(String(first!.body.text)).toStartWith("⚠️ 2 older alerts were dropped while the webhook could not be reached (queue full)\n");
  });
});

describe("several services", () => {
  let more: (FakeAlertApi | FakeSlack)[] = [];
  afterEach(() => {
    for (const f of more) f.stop();
    more = [];
  });

  test("every service gets each alert, with its own queue: one failing holds back none of the others", async () => {
    const [telegram, discord, webhook] = [startFakeAlertApi("telegram"), startFakeAlertApi("discord"), startFakeAlertApi("webhook")];
    const slack = startFakeSlack();
    more = [telegram, discord, webhook, slack];
    telegram.mode = 502;
    const a = make([
      destination("telegram", telegram),
      destination("discord", discord),
      destination("webhook", webhook),
      { kind: "slack", channel: "events", url: slack.url("/services/T0/B0/slackSECRET") },
    ]);
    a.alert(connected);
    await until(() => a.stats().sent === 3);
    await until(() => a.stats().failed === 1);
    expect(a.channelStats()).toEqual([
      { channel: "slack", sent: 1, queued: 0, failed: 0, dropped: 0 },
      { channel: "telegram", sent: 0, queued: 1, failed: 1, dropped: 0 },
      { channel: "discord", sent: 1, queued: 0, failed: 0, dropped: 0 },
      { channel: "webhook", sent: 1, queued: 0, failed: 0, dropped: 0 },
    ]);
    expect(a.stats()).toEqual({ sent: 3, queued: 1, failed: 1, dropped: 0 });
    expect(slack.posts[0]!.body.text).toContain(":white_check_mark: *[events] rec-1*");
    expect(discord.posts[0]!.body.content).toContain("✅ **[events] rec-1**");
    expect(webhook.posts[0]!.body).toMatchObject({ level: "success", event: "connected" });
    telegram.mode = "ok";
    await clock.advance(1000);
    await telegram.waitForPosts(1);
  });

  test("per-channel chats: stream death to the heartbeat chat, the rest to the events chat", async () => {
    api = startFakeAlertApi("telegram");
    const a = make([destination("telegram", api, "heartbeat", "-100111"), destination("telegram", api, "events", "-100333")]);
    a.alert({ type: "stream_dead", silentMs: 30_000 });
    a.alert({ type: "watchdog_stale", stateFile: "s.json", verdict: "stale", problems: ["old"] });
    a.alert(connected);
    await api.waitForPosts(3);
    const byChat = api.posts.map((p) => [p.body.chat_id, textOf(p).split("\n")[1]]);
    expect(byChat).toContainEqual(["-100111", "stream dead: no message for 30s; reconnecting"]);
    expect(byChat).toContainEqual(["-100333", "connected to the exchange (attempt 2)"]);
    expect(byChat.filter(([chat]) => chat === "-100333")).toHaveLength(2);
  });

  test("unusable credentials are said once, redacted, and leave that service off", () => {
    const a = make([
      { kind: "telegram", channel: "events", api: "https://api.telegram.org", token: "", chatId: "-100" },
      { kind: "telegram", channel: "heartbeat", api: "https://api.telegram.org", token: "not a token AAHsecretXYZ9", chatId: "-100" },
      { kind: "discord", channel: "events", url: `discord.com/api/webhooks/1/${DISCORD_SECRET}` },
    ]);
    expect(a.enabled).toBe(false);
    expect(a.channelStats()).toEqual([]);
    expect(logs.filter((l) => l.type === "warn").map(logText)).toEqual([
      "Telegram events chat -100 (bot …) has no credentials.telegram_bot_token; that channel is off",
      "Telegram heartbeat chat -100 (bot …XYZ9) has a bot token that is not <digits>:<letters> (as @BotFather gives it); that channel is off",
      "Discord events webhook /…/TY77 is not a URL; that channel is off",
    ]);
  });
});
