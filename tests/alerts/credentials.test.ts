import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { resolveDestinations, TELEGRAM_API, type AlertDestination } from "../../src/alerts/destinations.ts";
import { loadConfig } from "../../src/config/load.ts";
import { decryptSopsYaml } from "../../src/config/sops.ts";
import { encryptSopsYaml } from "../helpers/sops-encrypt.ts";

const TOKEN = "123456789:AAHsecretTelegramTokenZZZZZZZZZZZ0k1";
const CREDENTIALS = `credentials:
  telegram_bot_token: "${TOKEN}"
  telegram_chat_id: -1001234567890
  telegram_chat_id_hb: "-100111"
  discord_webhook: https://discord.com/api/webhooks/1/discordsecret
  webhook_url: https://relay.example/hooks/relaysecret
  webhook_url_wd: https://relay.example/hooks/watchdogsecret
`;
const EXPECTED: AlertDestination[] = [
  { kind: "telegram", channel: "heartbeat", api: TELEGRAM_API, token: TOKEN, chatId: "-100111" },
  { kind: "telegram", channel: "events", api: TELEGRAM_API, token: TOKEN, chatId: "-1001234567890" },
  { kind: "discord", channel: "events", url: "https://discord.com/api/webhooks/1/discordsecret" },
  { kind: "webhook", channel: "watchdog", url: "https://relay.example/hooks/watchdogsecret" },
  { kind: "webhook", channel: "events", url: "https://relay.example/hooks/relaysecret" },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alert-creds-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function destinationsFrom(files: Record<string, string>, env: Record<string, string> = {}, decryptEnv: Record<string, string> = {}) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const config = await loadConfig({
    configPath: join(dir, "resilience.yml"),
    env,
    decrypt: (text, path) => decryptSopsYaml(text, path, { env: { XDG_CONFIG_HOME: join(dir, "no-xdg"), PATH: "", ...decryptEnv }, home: join(dir, "home") }),
  });
  return resolveDestinations(config.credentials, config.environment);
}

describe("alert credentials in the config", () => {
  test("read from plain YAML; an unquoted chat id is read as its digits", async () => {
    expect(await destinationsFrom({ "resilience.yml": CREDENTIALS })).toEqual(EXPECTED);
  });

  test("read from a sops-encrypted include, next to Slack's keys", async () => {
    const identity = await generateX25519Identity();
    const keyFile = join(dir, "keys.txt");
    writeFileSync(keyFile, `${identity}\n`);
    const plain = `${CREDENTIALS}  sops_mainnet: https://hooks.slack.com/services/xtest/xtest/slacksecret\n`;
    const encrypted = await encryptSopsYaml(plain, { recipients: [await identityToRecipient(identity)], rule: { encrypted_regex: "^credentials$" } });
    for (const secret of ["AAHsecret", "discordsecret", "relaysecret", "1234567890"]) expect(encrypted).not.toContain(secret);
    const destinations = await destinationsFrom({ "resilience.yml": "include: alerts.sops.yml\n", "alerts.sops.yml": encrypted }, {}, { SOPS_AGE_KEY_FILE: keyFile });
    expect(destinations).toEqual([{ kind: "slack", channel: "events", url: "https://hooks.slack.com/services/xtest/xtest/slacksecret" }, ...EXPECTED]);
  });

  test("the RESILIENCE_* environment twins win over the file", async () => {
    const env = {
      RESILIENCE_TELEGRAM_BOT_TOKEN: "42:envTokenenvTokenenvTokenenvTokenenvT",
      RESILIENCE_TELEGRAM_CHAT_ID: "@alerts",
      RESILIENCE_TELEGRAM_API: "http://127.0.0.1:8081",
      RESILIENCE_DISCORD_WEBHOOK: "https://discord.com/api/webhooks/2/fromenv",
      RESILIENCE_WEBHOOK_URL: "https://relay.example/fromenv",
    };
    const destinations = await destinationsFrom({ "resilience.yml": CREDENTIALS }, env);
    expect(destinations).toContainEqual({ kind: "telegram", channel: "events", api: "http://127.0.0.1:8081", token: env.RESILIENCE_TELEGRAM_BOT_TOKEN, chatId: "@alerts" });
    expect(destinations).toContainEqual({ kind: "telegram", channel: "heartbeat", api: "http://127.0.0.1:8081", token: env.RESILIENCE_TELEGRAM_BOT_TOKEN, chatId: "-100111" });
    expect(destinations).toContainEqual({ kind: "discord", channel: "events", url: env.RESILIENCE_DISCORD_WEBHOOK });
    expect(destinations).toContainEqual({ kind: "webhook", channel: "events", url: env.RESILIENCE_WEBHOOK_URL });
  });

  test("from the environment alone, with no credentials in the file", async () => {
    const destinations = await destinationsFrom({ "resilience.yml": "alerts:\n  min_interval: 0s\n" }, { RESILIENCE_TELEGRAM_BOT_TOKEN: TOKEN, RESILIENCE_TELEGRAM_CHAT_ID: "-5" });
    expect(destinations).toEqual([{ kind: "telegram", channel: "events", api: TELEGRAM_API, token: TOKEN, chatId: "-5" }]);
  });

  test("a credential that is neither a string nor an integer is refused, naming file and key", async () => {
    await expect(destinationsFrom({ "resilience.yml": "credentials:\n  telegram_chat_id: [1, 2]\n" })).rejects.toThrow("credentials.telegram_chat_id must be a string");
    await expect(destinationsFrom({ "resilience.yml": "credentials:\n  telegram_chat_id: 1.5\n" })).rejects.toThrow("credentials.telegram_chat_id must be a string");
  });
});
