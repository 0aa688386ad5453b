import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsola, type LogObject } from "consola";
import { createAlerter, type Alerter } from "../../src/alerts/alerter.ts";
import { createWatchdog, type WatchdogOptions } from "../../src/watchdog/watchdog.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { startFakeSlack, type FakeSlack } from "../helpers/fake-slack.ts";
import { writeStateAt } from "../helpers/state-fixture.ts";

const WD = "/services/T0/B0/watchdog-secret";
const START = Date.UTC(2024, 0, 1, 12, 0, 30);

let dir: string;
let statePath: string;
let slack: FakeSlack;
let clock: FakeClock;
let alerter: Alerter;
let logs: LogObject[];
let stop: AbortController;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "watchdog-test-"));
  statePath = join(dir, "heartbeat.state.json");
  slack = startFakeSlack();
  clock = new FakeClock(START);
  logs = [];
  alerter = createAlerter({ webhooks: { watchdog: slack.url(WD) }, clock, minIntervalMs: 0, host: "box", log: _log() });
  stop = new AbortController();
});
afterEach(() => {
  stop.abort();
  alerter.close();
  slack.stop();
  rmSync(dir, { recursive: true, force: true });
});

function watchdog(options: Partial<WatchdogOptions> = {}) {
  return createWatchdog({ statePath, maxAgeMs: 30_000, everyMs: 10_000, clock, alerter, log: _log(), episodeFile: null, ...options });
}

const texts = () => slack.posts.map((p) => p.body.text ?? "");

describe("watchdog", () => {
  test("alerts once when the heartbeat goes stale, once when it recovers, and once for a graceful stop", async () => {
    writeStateAt(statePath, START);
    void watchdog().run(stop.signal);
    await clock.advance(20_000);
    expect(alerter.stats().queued + slack.attempts.length).toBe(0);

    await clock.advance(60_000); // the look at 40 s finds the heartbeat stale
    await _until(() => alerter.stats().sent === 1);
    await clock.advance(120_000);
    await Bun.sleep(20);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toContain("watchdog: recorder stale: the heartbeat is 40s old (limit 30s): the recorder is frozen");
    expect(texts()[0]).toContain("BTCUSDT@1h");
    expect(slack.posts[0]!.path).toBe(WD);

    writeStateAt(statePath, clock.now());
    await clock.advance(10_000);
    await _until(() => alerter.stats().sent === 2);
    expect(texts()[1]).toContain("healthy again after 2m50s of trouble");

    writeStateAt(statePath, clock.now(), { status: "stopped", stop_reason: "SIGTERM" });
    await clock.advance(10_000);
    await _until(() => alerter.stats().sent === 3);
    expect(texts()[2]).toContain("recorder stopped gracefully (SIGTERM)");
    await clock.advance(10 * 60_000); // an old heartbeat of a stopped recorder is no alarm
    await Bun.sleep(20);
    expect(texts()).toHaveLength(3);
    expect(logs.filter((l) => l.type === "warn")).toHaveLength(1);
  });

  test("a recorder whose pid is gone is dead at once, even with a fresh heartbeat", async () => {
    const proc = Bun.spawn(["true"]);
    await proc.exited;
    writeStateAt(statePath, START, { pid: proc.pid });
    const result = watchdog().check();
    expect(result.exitCode).toBe(1);
    expect(result.alert).toMatchObject({ type: "watchdog_stale", verdict: "dead" });
    await _until(() => alerter.stats().sent === 1);
    expect(texts()[0]).toContain(`pid ${proc.pid}`);
  });

  test("gives a starting recorder max-age to write its first state file", async () => {
    void watchdog().run(stop.signal);
    await clock.advance(20_000);
    await Bun.sleep(20);
    expect(slack.attempts).toHaveLength(0);
    await clock.advance(20_000);
    await _until(() => alerter.stats().sent === 1);
    expect(texts()[0]).toContain("watchdog: no readable state file: cannot read state file");
  });

  test("remembers the episode in a file, so separate --once runs alert once per episode", async () => {
    writeStateAt(statePath, START - 60_000);
    const first = watchdog({ episodeFile: undefined }).check();
    const second = watchdog({ episodeFile: undefined }).check();
    expect([first.exitCode, second.exitCode]).toEqual([1, 1]);
    expect(first.alert?.type).toBe("watchdog_stale");
    expect(second.alert).toBeUndefined();
    expect(existsSync(`${statePath}.watchdog.json`)).toBe(true);

    writeStateAt(statePath, START);
    const third = watchdog({ episodeFile: undefined }).check();
    expect(third).toMatchObject({ exitCode: 0, alert: { type: "watchdog_recovered" } });
    rmSync(statePath);
    expect(watchdog({ episodeFile: undefined }).check().exitCode).toBe(2);
  });
});

// --- internal ---

function _log() {
  return createConsola({ level: 5, reporters: [{ log: (o) => logs.push(o) }] });
}

async function _until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await Bun.sleep(5);
  }
  throw new Error("condition not met within 3 s");
}
