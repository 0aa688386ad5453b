import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { UserError } from "../../src/errors.ts";

const EXAMPLE = join(import.meta.dir, "../../config/resilience.yml");
const EXAMPLE_BINANCE = join(import.meta.dir, "../../config/binance.yml");

describe("the shipped example config/resilience.yml", () => {
  test("loads without warnings and gives the 4 h defaults", async () => {
    const c = await loadConfig({ configPath: EXAMPLE, env: {} });
    expect(c.warnings).toEqual([]);
    expect(c).toMatchObject({ restartEveryMs: 4 * 3_600_000, restartMarginMs: 5000, minConnectionMs: 60_000, symbols: ["BTCUSDT"], intervals: ["1h"] });
  });

  test.each([
    ["5s", 5000, 1250, 2500],
    ["10s", 10_000, 2500, 5000],
    ["2m", 120_000, 5000, 60_000],
  ])("with --restart-every %s the margin and the minimum age follow the period, so restarts happen", async (restartEvery, period, margin, minAge) => {
    const c = await loadConfig({ configPath: EXAMPLE, env: {}, flags: { restartEvery } });
    expect(c).toMatchObject({ restartEveryMs: period, restartMarginMs: margin, minConnectionMs: minAge });
    expect(c.restartMarginMs).toBeLessThan(c.restartEveryMs);
    expect(c.minConnectionMs).toBeLessThan(c.restartEveryMs);
  });

  test("shows the derived keys as comments with their default instead of pinning them", () => {
    const text = readFileSync(EXAMPLE_BINANCE, "utf8");
    expect(text).toMatch(/^\s*# margin_seconds: 5 .*default: min\(5 s, a quarter of the restart period\)/m);
    expect(text).toMatch(/^\s*# min_connection_duration: 60 .*default: min\(60 s, half the restart period\)/m);
    expect(text).toMatch(/^\s*# modulo_minutes: 240 /m);
  });
});

describe("a pinned value that conflicts with the restart period", () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cfg-example-"));
    cwd = process.cwd();
    process.chdir(dir);
    mkdirSync("config");
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  /** config/main.yml (own keys `main`) including config/binance.yml with `reconnect` under binance.reconnect. */
  function writeConfig(reconnect: string, main = ""): void {
    writeFileSync("config/main.yml", `include: [binance.yml]\n${main}`);
    writeFileSync("config/binance.yml", `binance:\n  reconnect:\n${reconnect}`);
  }

  async function failure(options: Parameters<typeof loadConfig>[0]): Promise<string> {
    const err = await loadConfig(options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    return (err as UserError).message;
  }

  test("margin_seconds in an included file and --restart-every 5s: the message names the included file, the key and the fix", async () => {
    writeConfig("    margin_seconds: 5\n");
    expect(await failure({ configPath: "config/main.yml", env: {}, flags: { restartEvery: "5s" } })).toBe(
      "config/binance.yml: binance.reconnect.margin_seconds (5s) must be shorter than the restart period (5s from --restart-every); lower it, use a longer --restart-every, or remove it to use the default (a quarter of the period, at most 5s)",
    );
  });

  test("min_connection_duration in an included file and --restart-every 10s would skip every restart, so it is refused", async () => {
    writeConfig("    min_connection_duration: 60\n");
    expect(await failure({ configPath: "config/main.yml", env: {}, flags: { restartEvery: "10s" } })).toBe(
      "config/binance.yml: binance.reconnect.min_connection_duration (1m) must be shorter than the restart period (10s from --restart-every), or every proactive restart is skipped; lower it, use a longer --restart-every, or remove it to use the default (half the period, at most 60s)",
    );
  });

  test("a period from RESILIENCE_RESTART_EVERY is named as such", async () => {
    writeConfig("    margin_seconds: 20\n");
    expect(await failure({ configPath: "config/main.yml", env: { RESILIENCE_RESTART_EVERY: "10s" } })).toContain("(10s from RESILIENCE_RESTART_EVERY); lower it, use a longer RESILIENCE_RESTART_EVERY,");
  });

  test("both values in one file: the message says the period is set in the same file", async () => {
    writeConfig("    every: 10s\n    min_connection_duration: 10\n");
    expect(await failure({ configPath: "config/main.yml", env: {} })).toBe(
      "config/binance.yml: binance.reconnect.min_connection_duration (10s) must be shorter than the restart period (10s from binance.reconnect.every in the same file), or every proactive restart is skipped; lower it, raise binance.reconnect.every, or remove it to use the default (half the period, at most 60s)",
    );
  });

  test("the period in the including file and the margin in the included one: both files are named", async () => {
    writeConfig("    margin_seconds: 30\n", "binance:\n  reconnect:\n    modulo_minutes: 0.5\n");
    expect(await failure({ configPath: "config/main.yml", env: {} })).toStartWith(
      "config/binance.yml: binance.reconnect.margin_seconds (30s) must be shorter than the restart period (30s from binance.reconnect.modulo_minutes in config/main.yml); lower it, raise binance.reconnect.modulo_minutes,",
    );
  });

  test("values that fit the flag are kept as written", async () => {
    writeConfig("    margin_seconds: 1\n    min_connection_duration: 3\n");
    const c = await loadConfig({ configPath: "config/main.yml", env: {}, flags: { restartEvery: "5s" } });
    expect(c).toMatchObject({ restartEveryMs: 5000, restartMarginMs: 1000, minConnectionMs: 3000 });
  });

  test("an empty section in the including file keeps the included values and warns about nothing", async () => {
    writeConfig("    margin_seconds: 1\n", "binance:\n  reconnect:\nresilience:\n  heartbeat:\n");
    const c = await loadConfig({ configPath: "config/main.yml", env: {} });
    expect(c.restartMarginMs).toBe(1000);
    expect(c.warnings).toEqual([]);
  });

  test("other invalid values name the included file that holds them", async () => {
    writeConfig("    margin_seconds: soon\n");
    expect(await failure({ configPath: "config/main.yml", env: {} })).toStartWith("config/binance.yml: binance.reconnect.margin_seconds:");
  });
});
