import { describe, expect, test } from "bun:test";
import { describeDestination, destinationFor, destinationProblem, resolveDestinations, TELEGRAM_API, type AlertDestination } from "../../src/alerts/destinations.ts";
import { fitMessage } from "../../src/alerts/format.ts";
import { retryAfterHeaderMs, secondsToMs } from "../../src/alerts/http-post.ts";
import { redactSecret, redactText } from "../../src/alerts/redact.ts";

const TOKEN = "123456789:AAHsecretTelegramTokenZZZZZZZZZZZ0k1";

describe("resolveDestinations", () => {
  test("Slack keys keep their meaning", () => {
    expect(resolveDestinations({ sops_hb: "https://h/1", sops_wd: "https://h/2", sops_testnet: "https://h/3" }, "testnet")).toEqual([
      { kind: "slack", channel: "heartbeat", url: "https://h/1" },
      { kind: "slack", channel: "watchdog", url: "https://h/2" },
      { kind: "slack", channel: "events", url: "https://h/3" },
    ]);
  });

  test("Telegram: one bot, a chat for everything and optional chats per channel; the API base overridable", () => {
    const base = { telegram_bot_token: TOKEN, telegram_chat_id: "-100333" };
    expect(resolveDestinations(base)).toEqual([{ kind: "telegram", channel: "events", api: TELEGRAM_API, token: TOKEN, chatId: "-100333" }]);
    expect(resolveDestinations({ ...base, telegram_chat_id_hb: "-100111", telegram_chat_id_wd: "@ops", telegram_api: "http://127.0.0.1:8081/" })).toEqual([
      { kind: "telegram", channel: "heartbeat", api: "http://127.0.0.1:8081", token: TOKEN, chatId: "-100111" },
      { kind: "telegram", channel: "watchdog", api: "http://127.0.0.1:8081", token: TOKEN, chatId: "@ops" },
      { kind: "telegram", channel: "events", api: "http://127.0.0.1:8081", token: TOKEN, chatId: "-100333" },
    ]);
  });

  test("a token without a chat, or a chat without a token, yields a destination that says what is missing", () => {
    const [noChat] = resolveDestinations({ telegram_bot_token: TOKEN });
    expect(destinationProblem(noChat!)).toBe("has no credentials.telegram_chat_id");
    const [noToken] = resolveDestinations({ telegram_chat_id_hb: "-1" });
    expect(destinationProblem(noToken!)).toBe("has no credentials.telegram_bot_token");
  });

  test("Discord and the generic webhook: a URL for everything, _hb and _wd per channel", () => {
    expect(resolveDestinations({ discord_webhook: "https://discord.com/api/webhooks/1/a", discord_webhook_hb: "https://discord.com/api/webhooks/2/b", webhook_url_wd: "https://relay/w" })).toEqual([
      { kind: "discord", channel: "heartbeat", url: "https://discord.com/api/webhooks/2/b" },
      { kind: "discord", channel: "events", url: "https://discord.com/api/webhooks/1/a" },
      { kind: "webhook", channel: "watchdog", url: "https://relay/w" },
    ]);
    expect(resolveDestinations({})).toEqual([]);
  });

  test("a channel without its own destination on a service uses that service's events one", () => {
    const all: AlertDestination[] = [
      { kind: "discord", channel: "events", url: "https://d/e" },
      { kind: "discord", channel: "heartbeat", url: "https://d/h" },
      { kind: "webhook", channel: "heartbeat", url: "https://w/h" },
    ];
    expect(destinationFor("discord", "watchdog", all)).toEqual(all[0]);
    expect(destinationFor("discord", "heartbeat", all)).toEqual(all[1]);
    expect(destinationFor("webhook", "events", all)).toBeUndefined();
    expect(destinationFor("slack", "events", all)).toBeUndefined();
  });
});

describe("destination checks and labels never show a secret", () => {
  const telegram = (token: string, chatId: string, api = TELEGRAM_API): AlertDestination => ({ kind: "telegram", channel: "events", api, token, chatId });

  test.each([
    [telegram(TOKEN, "-1001234567890"), undefined],
    [telegram(TOKEN, "@alerts_channel"), undefined],
    [telegram(TOKEN, "my chat"), "has a chat id that is neither a number nor @channelname"],
    [telegram("AAHsecret", "-1"), "has a bot token that is not <digits>:<letters> (as @BotFather gives it)"],
    [telegram(TOKEN, "-1", "api.telegram.org"), "has a telegram_api that is not a URL"],
    [{ kind: "webhook", channel: "events", url: "ftp://relay/x" } as AlertDestination, "must start with https://"],
  ])("%o: %s", (d, problem) => {
    expect(destinationProblem(d)).toBe(problem);
  });

  test.each([
    [{ kind: "slack", channel: "events", url: "https://hooks.slack.com/services/xtest/xtest/secretWXYZ" }, "Slack events webhook hooks.slack.com/…/WXYZ"],
    [{ kind: "discord", channel: "heartbeat", url: "https://discord.com/api/webhooks/1/secretABCD" }, "Discord heartbeat webhook discord.com/…/ABCD"],
    [{ kind: "webhook", channel: "watchdog", url: "https://relay.example/hook?key=secret1234" }, "generic watchdog webhook relay.example/…/1234"],
    [telegram(TOKEN, "-100333"), "Telegram events chat -100333 (bot …Z0k1)"],
  ] as [AlertDestination, string][])("%o is shown as %s", (d, label) => {
    expect(describeDestination(d)).toBe(label);
  });

  test("redactText hides tokens given as secrets and anything shaped like a bot token", () => {
    expect(redactText(`bad token ${TOKEN} for https://api.telegram.org/bot${TOKEN}/sendMessage`, [TOKEN])).toBe("bad token …Z0k1 for api.telegram.org/…/sage");
    expect(redactText("Unauthorized: 987654321:ZZZZsomebodyElsesTokenQQQQQQQQQQQQQ9x8", [])).toBe("Unauthorized: …Q9x8");
    expect(redactSecret("abcdef")).toBe("…cdef");
  });
});

describe("fitMessage", () => {
  test("keeps a message within the limit as it is", () => {
    expect(fitMessage("a\nb", 3)).toBe("a\nb");
  });

  test("cuts at a line end and says how many lines went", () => {
    const text = ["title", ...Array.from({ length: 50 }, (_, i) => `line ${i} ${"x".repeat(40)}`)].join("\n");
    const out = fitMessage(text, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out).toStartWith("title\nline 0 ");
    const kept = out.split("\n").length - 1;
    expect(out).toEndWith(`… ${51 - kept} more lines cut (message limit)`);
  });

  test("cuts a single overlong line mid-line, never inside an emoji", () => {
    expect(fitMessage("y".repeat(50), 10)).toBe(`${"y".repeat(9)}…`);
    expect(fitMessage("🚨".repeat(10), 6)).toBe("🚨🚨…");
  });
});

describe("rate-limit answers", () => {
  test.each([
    ["7", 7000],
    ["1.5", 1500],
    ["0", 0],
    ["soon", undefined],
    ["-3", undefined],
    ["Mon, 01 Jan 2024 12:00:30 GMT", 30_000],
    ["Mon, 01 Jan 2024 11:00:00 GMT", 0],
  ])("Retry-After: %s", (value, ms) => {
    expect(retryAfterHeaderMs(new Headers({ "retry-after": value }), Date.UTC(2024, 0, 1, 12, 0, 0))).toBe(ms);
  });

  test("retry_after in seconds (Discord's may be fractional)", () => {
    expect(secondsToMs(5)).toBe(5000);
    expect(secondsToMs(0.0625)).toBe(63);
    expect(secondsToMs("5")).toBeUndefined();
    expect(secondsToMs(undefined)).toBeUndefined();
    expect(retryAfterHeaderMs(new Headers())).toBeUndefined();
  });
});
