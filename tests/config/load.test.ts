import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";

let dir: string;
let cwd: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cfg-"));
  cwd = process.cwd();
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

const KSTLIB = `include:
  - config/binance.yml
resilience:
  heartbeat:
    interval: 5.0
    state_file: state/hb.json
websocket:
  reconnect:
    delay: 0.5
    max_delay: 20
    max_attempts: 20
logger:
  preset: trace
ops:
  sessions:
    resilience-tmux: { backend: tmux }
`;
const BINANCE = `binance:
  environment: testnet
  ws_url: wss://stream.binance.com:9443/ws
  stream: { symbol: btcusdt, timeframe: 1h, type: kline }
  reconnect: { modulo_minutes: 240, margin_seconds: 5, min_connection_duration: 60 }
`;

describe("loadConfig", () => {
  test("reads a kstlib config as it is: includes relative to the file, kstlib units, its own sections accepted", async () => {
    mkdirSync("config");
    writeFileSync("kstlib.conf.yml", KSTLIB);
    writeFileSync("config/binance.yml", BINANCE);
    const c = await loadConfig({ configPath: "kstlib.conf.yml", env: {} });
    expect(c.symbols).toEqual(["BTCUSDT"]);
    expect(c.intervals).toEqual(["1h"]);
    expect(c.restartEveryMs).toBe(4 * 3_600_000);
    expect(c.restartMarginMs).toBe(5000);
    expect(c.minConnectionMs).toBe(60_000);
    expect(c.heartbeatIntervalMs).toBe(5000);
    expect(c.reconnectMaxMs).toBe(20_000);
    expect(c.stateFile).toBe("state/hb.json");
    expect(c.environment).toBe("testnet");
    expect(c.warnings).toEqual(["kstlib.conf.yml: websocket.reconnect.max_attempts is ignored: resilience reconnects forever"]);
  });

  test("precedence: defaults < file < environment < flags", async () => {
    writeFileSync("resilience.yml", "binance:\n  stream:\n    symbols: [ethusdt]\n    timeframes: [1m, 5m]\n  reconnect:\n    every: 2h\n");
    const fromFile = await loadConfig({ env: {} });
    expect(fromFile.source).toBe("resilience.yml");
    expect(fromFile.symbols).toEqual(["ETHUSDT"]);
    expect(fromFile.intervals).toEqual(["1m", "5m"]);
    expect(fromFile.restartEveryMs).toBe(7_200_000);
    expect(fromFile.restartMarginMs).toBe(5000);
    const fromEnv = await loadConfig({ env: { RESILIENCE_SYMBOL: "solusdt", RESILIENCE_RESTART_EVERY: "10s" } });
    expect(fromEnv.symbols).toEqual(["SOLUSDT"]);
    expect(fromEnv.restartEveryMs).toBe(10_000);
    expect(fromEnv.restartMarginMs).toBe(2500); // min(5 s, period / 4)
    expect(fromEnv.minConnectionMs).toBe(5000); // min(60 s, period / 2)
    const fromFlags = await loadConfig({ env: { RESILIENCE_SYMBOL: "solusdt" }, flags: { symbol: "BTCUSDT,btcusdt,ETHUSDT" } });
    expect(fromFlags.symbols).toEqual(["BTCUSDT", "ETHUSDT"]);
  });

  test("./config/resilience.yml is the second place looked in; without any file the defaults apply", async () => {
    const defaults = await loadConfig({ env: {} });
    expect(defaults.source).toBeUndefined();
    expect(defaults).toMatchObject({ symbols: ["BTCUSDT"], intervals: ["1h"], wsUrl: "wss://stream.binance.com:9443", restUrl: "https://api.binance.com", staleAfterMs: 30_000, outDir: ".", columns: "basic" });
    mkdirSync("config");
    writeFileSync("config/resilience.yml", "csv:\n  columns: full\n");
    expect((await loadConfig({ env: {} })).columns).toBe("full");
  });

  test("unknown keys are reported, never silently ignored", async () => {
    writeFileSync("resilience.yml", "binance:\n  stream:\n    symbl: btcusdt\ncsv:\n  dir: out\nfoo: 1\n");
    const c = await loadConfig({ env: {} });
    expect(c.warnings).toEqual([
      "resilience.yml: unknown key binance.stream.symbl is ignored; check its spelling against config/resilience.yml",
      "resilience.yml: unknown key foo is ignored; check its spelling against config/resilience.yml",
    ]);
  });

  test.each([
    ["binance:\n  reconnect:\n    modulo_minutes: 240\n    every: 4h\n", "both binance.reconnect.modulo_minutes and binance.reconnect.every are set"],
    ["csv:\n  columns: some\n", 'csv.columns must be "basic" or "full"'],
    ["alerts:\n  proactive: maybe\n", "alerts.proactive must be true or false"],
    ["resilience:\n  heartbeat:\n    stale_after: [1]\n", "resilience.heartbeat.stale_after must be a duration"],
    ["binance:\n  reconnect:\n    every: 10s\n    margin_seconds: 20\n", "resilience.yml: binance.reconnect.margin_seconds (20s) must be shorter than the restart period (10s from binance.reconnect.every in the same file)"],
    ["include: 5\n", "include must be a file name or a list"],
    ["- just\n- a list\n", "the top level must be a mapping"],
  ])("%j is refused naming the file and key", async (yaml, message) => {
    writeFileSync("resilience.yml", yaml);
    await expect(loadConfig({ env: {} })).rejects.toThrow(message);
  });

  test("RESILIENCE_SLACK_WEBHOOK is one channel for everything", async () => {
    const c = await loadConfig({ env: { RESILIENCE_SLACK_WEBHOOK: "https://hooks.example/x" } });
    expect(c.credentials.slack_webhook).toBe("https://hooks.example/x");
  });
});
