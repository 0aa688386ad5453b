import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { BINARY, ensureBinary } from "../helpers/binary.ts";
import { startFakeAlertApi, type FakeAlertApi } from "../helpers/fake-alert-api.ts";
import { startFakeSlack, type FakeSlack } from "../helpers/fake-slack.ts";
import { checkCsvAgainstTruth, closedBetween, CLOSE_DELIVERY_MS, openedBetween } from "../helpers/csv-truth.ts";

let dir: string;
let exchange: Exchange | undefined;
let slack: FakeSlack | undefined;
let telegram: FakeAlertApi | undefined;
const procs: Bun.Subprocess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
  await exchange?.stop();
  slack?.stop();
  telegram?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean, ms = 15_000) {
  for (const until = Date.now() + ms; !cond(); await Bun.sleep(50)) if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
}

test("recorder + watchdog + Slack: a stall gives 'stream dead', then 'connected', then 'backfill repaired'; a stop is no alarm; no webhook URL in any output", async () => {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "alerts-e2e-"));
  exchange = await startExchange({ symbols: ["BTCUSDT"], seed: 21, log: () => {} });
  slack = startFakeSlack();
  const secret = "T0SECRET/B0SECRET/abcdefghijklmnopqrstuvwx";
  const webhook = slack.url(`/services/${secret}`);
  writeFileSync(join(dir, "resilience.yml"), "alerts:\n  min_interval: 0s\n");
  const env = { ...process.env, NO_COLOR: "1", RESILIENCE_LOG_LEVEL: "3", RESILIENCE_SLACK_WEBHOOK: webhook };
  const startedAt = Date.now();
  const recorder = Bun.spawn(
    [BINARY, "run", "--interval", "1s", "--restart-every", "0", "--stale-after", "2s", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--no-dashboard"],
    { cwd: dir, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" },
  );
  const watchdog = Bun.spawn([BINARY, "watchdog", "--every", "500ms", "--max-age", "3s"], { cwd: dir, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  procs.push(recorder, watchdog);
  const texts = () => slack!.posts.map((p) => p.body.text ?? "");
  await waitFor("connected alert", () => texts().some((t) => t.includes("connected to the exchange")));
  const connectedAt = Date.now();
  await Bun.sleep(1500);
  const before = slack.posts.length;
  exchange.stall(5000);
  await waitFor("backfill alert after the stall", () => texts().slice(before).some((t) => t.includes("backfill repaired")));
  const after = texts().slice(before).join("\n---\n");
  const dead = after.indexOf("stream dead");
  const connected = after.indexOf("connected to the exchange");
  const repaired = after.indexOf("backfill repaired");
  expect(dead).toBeGreaterThanOrEqual(0);
  expect(connected).toBeGreaterThan(dead);
  expect(repaired).toBeGreaterThan(connected);
  expect(slack.posts.some((p) => p.body.text?.includes("(BTCUSDT@1s)") || p.body.text?.includes("BTCUSDT@1s"))).toBe(true);

  const stoppedAt = Date.now();
  recorder.kill("SIGTERM");
  expect(await recorder.exited).toBe(0);
  const exitedAt = Date.now();
  await waitFor("watchdog's stopped message", () => texts().some((t) => t.includes("stopped gracefully")), 10_000);
  await Bun.sleep(3500); // past --max-age: a stopped recorder must not raise a stale alarm
  watchdog.kill("SIGTERM");
  await watchdog.exited;
  expect(texts().filter((t) => /watchdog: .*(stale|dead)/.test(t))).toEqual([]);

  const outputs = await Promise.all([recorder.stdout, recorder.stderr, watchdog.stdout, watchdog.stderr].map((s) => new Response(s).text()));
  const everything = outputs.join("\n") + readFileSync(join(dir, "state/heartbeat.state.json"), "utf8");
  expect(everything).not.toContain("SECRET");
  expect(everything).not.toContain("abcdefghijklmnop");
  const csv = checkCsvAgainstTruth(join(dir, "candles_BTCUSDT_1s.csv"), exchange, "BTCUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: closedBetween("1s", stoppedAt - CLOSE_DELIVERY_MS, exitedAt) });
  expect(csv.problems).toEqual([]);
}, 60_000);

test("recorder + Telegram (RESILIENCE_TELEGRAM_*): a 429 is waited out, then 'started', 'connected' and 'stopped' arrive; no token in any output", async () => {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "alerts-e2e-tg-"));
  exchange = await startExchange({ symbols: ["BTCUSDT"], seed: 22, log: () => {} });
  telegram = startFakeAlertApi("telegram");
  telegram.script.push({ status: 429, retryAfterS: 1 });
  const token = "123456789:AAHe2eSECRETtokenXXXXXXXXXXXXXXXXXXXX";
  writeFileSync(join(dir, "resilience.yml"), "alerts:\n  min_interval: 0s\n");
  const env = {
    ...process.env,
    NO_COLOR: "1",
    RESILIENCE_LOG_LEVEL: "4",
    RESILIENCE_TELEGRAM_BOT_TOKEN: token,
    RESILIENCE_TELEGRAM_CHAT_ID: "-100777",
    RESILIENCE_TELEGRAM_API: telegram.url(""),
  };
  const recorder = Bun.spawn([BINARY, "run", "--interval", "1s", "--restart-every", "0", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--no-dashboard"], {
    cwd: dir,
    env,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  procs.push(recorder);
  const texts = () => telegram!.posts.map((p) => String(p.body.text));
  await waitFor("started and connected on Telegram", () => texts().some((t) => t.includes("recorder started")) && texts().some((t) => t.includes("connected to the exchange")));
  const [refused, retried] = telegram.attempts;
  expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(950);
  expect(telegram.posts[0]!.path).toBe(`/bot${token}/sendMessage`);
  expect(telegram.posts[0]!.body).toMatchObject({ chat_id: "-100777", disable_web_page_preview: true });
  expect(texts()[0]).toMatch(/^ℹ️ \[events\] \S+ · BTCUSDT@1s · /);
  recorder.kill("SIGTERM");
  expect(await recorder.exited).toBe(0);
  expect(texts().some((t) => t.includes("recorder stopped: SIGTERM"))).toBe(true);
  const outputs = await Promise.all([recorder.stdout, recorder.stderr].map((s) => new Response(s).text()));
  expect(outputs.join("\n")).toContain("HTTP 429");
  const everything = outputs.join("\n") + readFileSync(join(dir, "state/heartbeat.state.json"), "utf8");
  expect(everything).not.toContain("e2eSECRET");
  expect(everything).not.toContain("123456789:");
}, 60_000);
