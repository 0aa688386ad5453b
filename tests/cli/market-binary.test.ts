import { afterEach, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { BINARY, ensureBinary } from "../helpers/binary.ts";
import { checkCsvAgainstTruth, lastClosedBefore, openedBetween } from "../helpers/csv-truth.ts";

let dir: string;
let exchange: Exchange;
beforeAll(async () => {
  ensureBinary();
}, 120_000);
afterEach(async () => {
  await exchange?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean, ms: number) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const readState = (path: string) => (existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { streams: Record<string, { retired?: string; candles_written: number }> }) : undefined);

test("a named symbol that is halted starts retired (no CSV), and is recorded once it trades again", async () => {
  dir = mkdtempSync(join(tmpdir(), "market-bin-"));
  exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT"], seed: 21, log: () => {} });
  expect(exchange.halt("ETHUSDT")).toBe("ETHUSDT");
  const state = join(dir, "state.json");
  const out = join(dir, "csv");
  const startedAt = Date.now();
  const recorder = Bun.spawn(
    [BINARY, "run", "--symbol", "btcusdt,ethusdt", "--interval", "1s", "--symbols-refresh", "10s", "--restart-every", "0", "--ws-url", exchange.wsUrl, "--rest-url", exchange.url, "--out", out, "--state", state, "--no-dashboard"],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", RESILIENCE_LOG_LEVEL: "3" } },
  );
  const log = Promise.all([new Response(recorder.stdout).text(), new Response(recorder.stderr).text()]).then((parts) => parts.join(""));
  try {
    await waitFor("the state file", () => (readState(state)?.streams["BTCUSDT@1s"]?.candles_written ?? 0) > 0, 10_000);
    const connectedAt = Date.now();
    expect(readState(state)!.streams["ETHUSDT@1s"]!.retired).toBeDefined();
    expect(existsSync(join(out, "candles_ETHUSDT_1s.csv"))).toBe(false);

    const resumedAt = Date.now();
    expect(exchange.resume("ETHUSDT")).toBe("ETHUSDT");
    await waitFor("ETHUSDT recorded again", () => (readState(state)?.streams["ETHUSDT@1s"]?.candles_written ?? 0) >= 2, 15_000);
    expect(readState(state)!.streams["ETHUSDT@1s"]!.retired).toBeUndefined();
    await Bun.sleep(1500);
    recorder.kill("SIGTERM");
    expect(await recorder.exited).toBe(0);
    const stoppedAt = Date.now();
    expect(await log).toContain("ETHUSDT: trading again, recording resumed");
    const eth = checkCsvAgainstTruth(join(out, "candles_ETHUSDT_1s.csv"), exchange, "ETHUSDT", "1s", { expectFirst: openedBetween("1s", resumedAt - 1000, resumedAt + 1000), expectLast: lastClosedBefore("1s", stoppedAt) });
    expect(eth.problems).toEqual([]);
    const btc = checkCsvAgainstTruth(join(out, "candles_BTCUSDT_1s.csv"), exchange, "BTCUSDT", "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: lastClosedBefore("1s", stoppedAt) });
    expect(btc.problems).toEqual([]);
  } finally {
    recorder.kill("SIGKILL");
  }
}, 60_000);
