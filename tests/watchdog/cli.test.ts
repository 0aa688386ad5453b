import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { startFakeSlack, type FakeSlack } from "../helpers/fake-slack.ts";
import { encryptSopsYaml } from "../helpers/sops-encrypt.ts";
import { writeStateAt } from "../helpers/state-fixture.ts";

const CLI = join(import.meta.dir, "../../src/cli.ts");
const HOOK = "/services/T0/B0/cli-watchdog-secret";

let dir: string;
let slack: FakeSlack;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "watchdog-cli-"));
  mkdirSync(join(dir, "state"));
  slack = startFakeSlack();
});
afterEach(() => {
  slack.stop();
  rmSync(dir, { recursive: true, force: true });
});

function spawnWatchdog(args: string[]) {
  return Bun.spawn([process.execPath, CLI, "watchdog", ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, RESILIENCE_SLACK_WEBHOOK: slack.url(HOOK), RESILIENCE_LOG_LEVEL: "3", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function once(args: string[] = []) {
  const proc = spawnWatchdog(["--once", ...args]);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(stdout + stderr).not.toContain("cli-watchdog-secret");
  return { stdout, stderr, code };
}

describe("resilience watchdog --once", () => {
  test("exits like status and alerts once per episode, also across runs", async () => {
    const state = join(dir, "state", "heartbeat.state.json");
    writeStateAt(state, Date.now());
    expect(await once()).toMatchObject({ code: 0, stdout: "" });
    expect(slack.attempts).toHaveLength(0);

    writeStateAt(state, Date.now() - 120_000);
    const stale = await once();
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain("the heartbeat is 2m");
    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0]!.body.text).toContain("watchdog: recorder stale");

    expect((await once()).code).toBe(1);
    expect(slack.posts).toHaveLength(1);

    writeStateAt(state, Date.now(), { status: "stopped", stop_reason: "SIGINT" });
    expect((await once()).code).toBe(1);
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[1]!.body.text).toContain("recorder stopped gracefully (SIGINT)");
  });

  test("exit 2 without a readable state file, and 2 for a bad flag", async () => {
    const missing = await once(["--state", "nowhere.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain("cannot read state file");
    const bad = await once(["--every", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--every");
  });

  test("reads its settings and webhooks from --config", async () => {
    const state = join(dir, "elsewhere.json");
    writeStateAt(state, Date.now() - 20_000);
    writeFileSync(
      join(dir, "wd.yml"),
      `resilience:\n  watchdog:\n    state_file: elsewhere.json\n    max_heartbeat_age: 10\ncredentials:\n  sops_wd: ${slack.url("/services/T0/B0/from-config")}\n`,
    );
    const proc = Bun.spawn([process.execPath, CLI, "watchdog", "--once", "--config", "wd.yml"], { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir }, stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(1);
    expect(slack.posts.map((p) => p.path)).toEqual(["/services/T0/B0/from-config"]);
  });
});

describe("resilience watchdog with a sops-encrypted include", () => {
  test("decrypts the webhooks natively; without the age key it exits 2 naming the file and where it looked", async () => {
    const identity = await generateX25519Identity();
    writeFileSync(join(dir, "keys.txt"), `${identity}\n`);
    mkdirSync(join(dir, "config"));
    const plain = `credentials:\n  sops_wd: ${slack.url("/services/T0/B0/sops-secret")}\n`;
    writeFileSync(join(dir, "config", "slack.sops.yml"), await encryptSopsYaml(plain, { recipients: [await identityToRecipient(identity)] }));
    writeFileSync(join(dir, "config", "resilience.yml"), "include: [slack.sops.yml]\n");
    writeStateAt(join(dir, "state", "heartbeat.state.json"), Date.now() - 120_000);
    const run = async (env: Record<string, string>) => {
      const proc = Bun.spawn([process.execPath, CLI, "watchdog", "--once"], { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir, ...env }, stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect(out + err).not.toContain("sops-secret");
      expect(out + err).not.toContain(identity);
      return { err, code };
    };
    expect((await run({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") })).code).toBe(1);
    expect(slack.posts.map((p) => p.path)).toEqual(["/services/T0/B0/sops-secret"]);
    const locked = await run({});
    expect(locked.code).toBe(2);
    expect(locked.err).toContain("config/slack.sops.yml: no age identity");
    expect(locked.err).toContain("SOPS_AGE_KEY_FILE (not set)");
  });
});

describe("resilience watchdog (continuous)", () => {
  test("alerts on a stale state file, then stops cleanly on SIGTERM", async () => {
    writeStateAt(join(dir, "state", "heartbeat.state.json"), Date.now() - 60_000);
    const proc = spawnWatchdog(["--every", "200ms"]);
    await slack.waitForPosts(1, 10_000);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const output = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
    expect(output).toContain("alerts go to Slack");
    expect(output).toContain("watchdog stopped");
    expect(output).not.toContain("cli-watchdog-secret");
    expect(slack.posts).toHaveLength(1);
  });
});
