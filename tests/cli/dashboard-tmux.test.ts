import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startExchange, type Exchange } from "../../src/sim/exchange.ts";
import { BINARY, ensureBinary } from "../helpers/binary.ts";
import { checkCsvAgainstTruth, closedBetween, CLOSE_DELIVERY_MS, openedBetween } from "../helpers/csv-truth.ts";
import { useExtraTmuxServer, useTempDir, waitFor } from "../helpers/tmux-server.ts";

const socket = `resilience-dash-${process.pid}`;
const tmux = useExtraTmuxServer(socket);
const dir = useTempDir("resilience-dash-");
let exchange: Exchange;
beforeAll(async () => {
  ensureBinary();
  exchange = await startExchange({ symbols: ["BTCUSDT", "ETHUSDT"], seed: 31, log: () => {} });
}, 120_000);
afterAll(() => exchange.stop());

async function screen(): Promise<string> {
  return (await tmux.run(["capture-pane", "-p", "-t", "=dash:"])).stdout;
}

test("the binary's dashboard in a real tmux pane: d drops and reconnects with every candle kept, F10 quits cleanly and the terminal is sane", async () => {
  const script = join(dir, "pane.sh");
  writeFileSync(
    script,
    [
      `cd ${dir}`,
      "export RESILIENCE_LOG_LEVEL=3",
      `${BINARY} run --symbol btcusdt,ethusdt --interval 1s --restart-every 0 --ws-url ${exchange.wsUrl} --rest-url ${exchange.url}`,
      "code=$?",
      // stty first: the test reads it once exit.txt exists.
      `stty -a > ${dir}/stty.txt`,
      `echo "EXIT=$code" > ${dir}/exit.txt`,
      "sleep 60",
    ].join("\n"),
  );
  const startedAt = Date.now();
  await tmux.run(["new-session", "-d", "-s", "dash", "-x", "120", "-y", "40", `bash ${script}`]);
  await waitFor("the dashboard", async () => (await screen()).includes("CONNECTED"), 15_000);
  const connectedAt = Date.now();
  await waitFor("candles in the table", async () => /BTCUSDT@1s\s+\S+\s.*\s+[1-9]\d*\s/.test(await screen()), 10_000);
  const before = await screen();
  expect(before).toContain("ETHUSDT@1s");
  expect(before).toMatch(/reconnects 0 reactive/);
  expect(before).toContain("q/F10/Ctrl-C quit");

  await tmux.run(["send-keys", "-t", "=dash:", "d"]);
  await waitFor("the reconnect counted", async () => /reconnects 1 reactive/.test(await screen()), 10_000);
  await waitFor("connected again", async () => (await screen()).includes("CONNECTED"), 10_000);
  await Bun.sleep(2200);

  const quitAt = Date.now();
  await tmux.run(["send-keys", "-t", "=dash:", "F10"]);
  await waitFor("the exit", () => existsSync(join(dir, "exit.txt")), 15_000);
  const exitedAt = Date.now();
  expect(readFileSync(join(dir, "exit.txt"), "utf8").trim()).toBe("EXIT=0");
  const stty = readFileSync(join(dir, "stty.txt"), "utf8");
  expect(stty).toMatch(/(^|\s)icanon(\s|$)/);
  expect(stty).toMatch(/(^|\s)echo(\s|$)/);
  const state = JSON.parse(readFileSync(join(dir, "state/heartbeat.state.json"), "utf8"));
  expect(state.status).toBe("stopped");
  expect(state.reconnects).toBeGreaterThanOrEqual(1);
  for (const symbol of ["BTCUSDT", "ETHUSDT"]) {
    const { times, problems } = checkCsvAgainstTruth(join(dir, `candles_${symbol}_1s.csv`), exchange, symbol, "1s", { expectFirst: openedBetween("1s", startedAt, connectedAt), expectLast: closedBetween("1s", quitAt - CLOSE_DELIVERY_MS, exitedAt) });
    expect(problems).toEqual([]);
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times[times.length - 1]).toBeGreaterThan(Date.now() - 4000);
  }
  // The normal screen is back, with the last events on it.
  const after = await screen();
  expect(after).not.toContain("q/F10/Ctrl-C quit");
  expect(after).toContain("stopped: f10 pressed");
}, 60_000);
