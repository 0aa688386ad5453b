import { describe, expect, test } from "bun:test";
import { channelFor, resolveWebhooks, webhookFor, webhookProblem } from "../../src/alerts/channels.ts";
import { describeEvent, isMuted, type AlertEvent } from "../../src/alerts/events.ts";
import { formatAlertMessage, formatDropNote } from "../../src/alerts/format.ts";
import { redactText, redactWebhook } from "../../src/alerts/redact.ts";
import type { Candle } from "../../src/candles/candle.ts";

const T = Date.UTC(2024, 0, 2, 3, 0, 0);
const candle = (openTime: number) => ({ openTime }) as Candle;

describe("describeEvent", () => {
  const cases: [AlertEvent, string, string][] = [
    [{ type: "started", streams: ["BTCUSDT@1h"] }, "info", "recorder started"],
    [{ type: "stopped", reason: "SIGTERM" }, "info", "recorder stopped: SIGTERM"],
    [{ type: "connected", url: "wss://x", attempt: 3 }, "success", "connected to the exchange (attempt 3)"],
    [{ type: "disconnected", code: 1001, reason: "going away", upMs: 4 * 3_600_000, stale: false }, "warning", "disconnected: code 1001 going away after 4h up"],
    [{ type: "disconnected", code: 4000, reason: "", upMs: 90_000, stale: true }, "warning", "after 1m30s up (the stream had gone silent)"],
    [{ type: "stream_dead", silentMs: 30_000 }, "critical", "stream dead: no message for 30s; reconnecting"],
    [{ type: "proactive_restart", boundary: T }, "info", "proactive restart at 2024-01-02T03:00:00Z"],
    [{ type: "reconnecting_long", sinceMs: 300_000, attempts: 12 }, "critical", "still reconnecting after 5m (12 attempts)"],
    [{ type: "backfill_repaired", symbol: "BTCUSDT", interval: "1h", candles: [candle(T), candle(T + 3_600_000)] }, "info", "backfill repaired 2 candles: 2024-01-02T03:00:00Z, 2024-01-02T04:00:00Z"],
    [{ type: "exchange_gap", symbol: "BTCUSDT", interval: "1m", openTimes: [T] }, "warning", "exchange gap confirmed: the exchange has no candle at 2024-01-02T03:00:00Z"],
    [{ type: "csv_write_failing", symbol: "BTCUSDT", interval: "1h", error: "ENOSPC" }, "critical", "CSV write failing: ENOSPC"],
    [{ type: "csv_write_recovered", symbol: "BTCUSDT", interval: "1h" }, "success", "CSV writes recovered"],
    [{ type: "watchdog_stale", stateFile: "s.json", verdict: "dead", problems: ["pid 4 is gone"] }, "critical", "watchdog: recorder dead: pid 4 is gone (state file s.json)"],
    [{ type: "watchdog_recovered", stateFile: "s.json", troubleMs: 125_400 }, "success", "healthy again after 2m5s of trouble"],
    [{ type: "watchdog_stopped", stateFile: "s.json", reason: "SIGINT" }, "info", "recorder stopped gracefully (SIGINT)"],
  ];
  test.each(cases)("%o", (event, level, text) => {
    const d = describeEvent(event)!;
    expect(d.level).toBe(level as never);
    expect(d.text).toContain(text);
  });

  test("long lists of open times are cut", () => {
    const candles = Array.from({ length: 8 }, (_, i) => candle(T + i * 60_000));
    const d = describeEvent({ type: "backfill_repaired", symbol: "ETHUSDT", interval: "1m", candles })!;
    expect(d.text).toContain("8 candles");
    expect(d.text).toContain("(+3 more)");
    expect(d.streams).toEqual(["ETHUSDT@1m"]);
  });

  test("mutes later malformed messages and, when asked, proactive restarts", () => {
    expect(isMuted({ type: "proactive_restart", boundary: T }, { proactive: false })).toBe(true);
    expect(isMuted({ type: "proactive_restart", boundary: T }, { proactive: true })).toBe(false);
    expect(isMuted({ type: "malformed_message", reason: "x", count: 1 }, { proactive: true })).toBe(false);
    expect(isMuted({ type: "malformed_message", reason: "x", count: 7 }, { proactive: true })).toBe(true);
  });
});

describe("formatAlertMessage", () => {
  const ctx = { channel: "events" as const, host: "box", streams: ["BTCUSDT@1h", "ETHUSDT@1h"] };

  test("one event: emoji, channel, host, streams, UTC time, then the sentence", () => {
    expect(formatAlertMessage([{ event: { type: "stopped", reason: "SIGTERM" }, at: T }], ctx)).toBe(
      ":information_source: *[events] box* · BTCUSDT@1h, ETHUSDT@1h · 2024-01-02T03:00:00Z\nrecorder stopped: SIGTERM",
    );
  });

  test("a digest takes the worst level, lists each event with its time and counts the ones not kept", () => {
    const text = formatAlertMessage(
      [
        { event: { type: "connected", url: "u", attempt: 1 }, at: T },
        { event: { type: "csv_write_failing", symbol: "ETHUSDT", interval: "1h", error: "EIO" }, at: T + 5000 },
      ],
      ctx,
      3,
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe(":rotating_light: *[events] box* · BTCUSDT@1h, ETHUSDT@1h · 5 events since 2024-01-02T03:00:00Z");
    expect(lines[2]).toBe("• 2024-01-02T03:00:05Z :rotating_light: ETHUSDT@1h: CSV write failing: EIO");
    expect(lines[3]).toBe("• … and 3 more");
  });

  test("the drop note counts alerts", () => {
    expect(formatDropNote(1)).toContain("1 older alert was dropped");
    expect(formatDropNote(4)).toContain("4 older alerts were dropped");
  });
});

describe("channels and redaction", () => {
  test("credentials map to channels; slack_webhook (RESILIENCE_SLACK_WEBHOOK) takes all", () => {
    const creds = { sops_hb: "https://h/1", sops_wd: "https://h/2", sops_mainnet: "https://h/3", sops_testnet: "https://h/4" };
    expect(resolveWebhooks(creds)).toEqual({ heartbeat: "https://h/1", watchdog: "https://h/2", events: "https://h/3" });
    expect(resolveWebhooks(creds, "testnet").events).toBe("https://h/4");
    expect(resolveWebhooks({ ...creds, slack_webhook: "https://one/x" })).toEqual({ heartbeat: "https://one/x", watchdog: "https://one/x", events: "https://one/x" });
    expect(resolveWebhooks({})).toEqual({});
  });

  test("routing and fallback", () => {
    expect(channelFor({ type: "stream_dead", silentMs: 1 })).toBe("heartbeat");
    expect(channelFor({ type: "watchdog_stopped", stateFile: "s", reason: null })).toBe("watchdog");
    expect(channelFor({ type: "reconnecting_long", sinceMs: 1, attempts: 1 })).toBe("events");
    expect(webhookFor("watchdog", { events: "https://e" })).toBe("https://e");
    expect(webhookFor("watchdog", { heartbeat: "https://h" })).toBeUndefined();
  });

  test.each([
    ["https://hooks.slack.com/services/x01/x02/abcdefghWXYZ", "hooks.slack.com/…/WXYZ"],
    ["https://hooks.slack.com/services/x01/x02/abcdefghWXYZ/", "hooks.slack.com/…/WXYZ"],
    ["not a url at all 1234", "/…/1234"],
  ])("redactWebhook(%s)", (url, shown) => {
    expect(redactWebhook(url)).toBe(shown);
  });

  test("redactText hides every URL in a message", () => {
    const secret = "https://hooks.slack.com/services/x01/x02/secretTOKEN";
    const out = redactText(`fetch ${secret} failed; see http://other.example/path/abcd`, [secret]);
    expect(out).toBe("fetch hooks.slack.com/…/OKEN failed; see other.example/…/abcd");
  });

  test("webhookProblem", () => {
    expect(webhookProblem("https://hooks.slack.com/services/x")).toBeUndefined();
    expect(webhookProblem("hooks.slack.com/services/x")).toBe("is not a URL");
    expect(webhookProblem("ftp://hooks.slack.com/x")).toBe("must start with https://");
  });
});
