import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findSession } from "../../src/tmux/sessions.ts";
import { BINARY, ensureBinary, runBinary } from "../helpers/binary.ts";
import { startFakeBinance } from "../helpers/fake-binance.ts";
import { useTempDir, useTmuxServer, waitFor } from "../helpers/tmux-server.ts";

const { tmux, env } = useTmuxServer();
const dir = useTempDir("resilience-session-bin-");
const binance = await startFakeBinance();
afterAll(() => binance.stop());
beforeAll(() => void ensureBinary(), 180_000);

test("the compiled binary starts itself (not bun) in the pane, and status and stop work on it", async () => {
  const cli = (args: string[]) => runBinary(args, { cwd: dir, env });
  const runArgs = ["--ws-url", binance.wsUrl, "--rest-url", binance.url, "--symbol", "ETHUSDT", "--interval", "1s", "--state", "bin/state.json", "--out", "bin"];
  const start = await cli(["start", "--name", "bin", "--", ...runArgs]);
  expect(start.code).toBe(0);
  const info = await findSession(tmux, "bin");
  const command = await tmux.check(["display-message", "-p", "-t", info!.recorder!.id, "#{pane_start_command}"]);
  // No dashboard in the pane unless asked: the log file keeps the pane's output.
  expect(command.trim()).toBe([BINARY, "run", "--no-dashboard", ...runArgs].join(" "));

  const statePath = join(dir, "bin/state.json");
  await waitFor("a recorded candle", () => existsSync(statePath) && JSON.parse(readFileSync(statePath, "utf8")).streams?.["ETHUSDT@1s"]?.last_candle);
  expect((await cli(["status", "--name", "bin"])).code).toBe(0);
  const stop = await cli(["stop", "--name", "bin"]);
  expect(stop.code).toBe(0);
  expect(JSON.parse(readFileSync(statePath, "utf8")).status).toBe("stopped");
  expect(await findSession(tmux, "bin")).toBeUndefined();
}, 20_000);
