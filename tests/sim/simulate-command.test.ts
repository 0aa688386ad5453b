import { describe, expect, test } from "bun:test";
import { startFakeBinance } from "../helpers/fake-binance.ts";

const BUN = "./node_modules/.bin/bun";

function spawnSimulate(args: string[], env: Record<string, string> = {}) {
  return Bun.spawn([BUN, "src/cli.ts", "simulate", ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
}

/** The first line a process prints on stdout. */
async function firstLine(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  const cut = text.indexOf("\n");
  return { line: text.slice(0, cut < 0 ? undefined : cut), after: cut < 0 ? "" : text.slice(cut + 1), rest: reader };
}

describe("resilience simulate", () => {
  test("prints 'listening on http://HOST:PORT' first, serves REST and streams there, and exits 0 on SIGTERM", async () => {
    const child = spawnSimulate(["--port", "0", "--symbol", "btcusdt,SOLUSDT", "--seed", "42"]);
    try {
      const { line } = await firstLine(child.stdout);
      expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = line.slice("listening on ".length);
      const info = (await (await fetch(`${url}/api/v3/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
      expect(info.symbols.map((s) => s.symbol)).toEqual(["BTCUSDT", "SOLUSDT"]);
      const rows = (await (await fetch(`${url}/api/v3/klines?symbol=SOLUSDT&interval=1h&limit=2`)).json()) as unknown[][];
      const { simulatedKline } = await import("../../src/sim/candles.ts");
      expect(rows[0]![4]).toBe(simulatedKline(42, "SOLUSDT", "1h", rows[0]![0] as number).close);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("logs each fault it fires", async () => {
    const child = spawnSimulate(["--port", "0", "--faults", "garbage@0s,rest5xx:2@0s"], { RESILIENCE_LOG_LEVEL: "3" });
    try {
      const { line, after, rest } = await firstLine(child.stdout);
      expect(line).toStartWith("listening on ");
      let text = after;
      const decoder = new TextDecoder();
      const deadline = Date.now() + 5000;
      while (!text.includes("rest5xx:2") && Date.now() < deadline) {
        const { value, done } = await rest.read();
        if (done) break;
        text += decoder.decode(value);
      }
      expect(text).toContain("fault garbage (0 open connections)");
      expect(text).toContain("fault rest5xx:2");
      child.kill("SIGINT");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test.each([
    [["--faults", "drop@30s,nope@1m"], '--faults: bad item "nope@1m"'],
    [["--port", "99999"], '--port: "99999" is not a port'],
    [["--symbol", "BTC-USDT"], '--symbol: "BTC-USDT" is not a symbol'],
    [["--seed", "1.5"], '--seed: "1.5" is not a whole number'],
    [["--day", "soon"], "--day"],
    [["--replay", "/nonexistent/candles.csv"], "--replay: cannot read /nonexistent/candles.csv"],
    [["--speed", "2"], "unknown option --speed"],
  ])("%j is exit 2 with one line naming the problem", async (args, message) => {
    const child = spawnSimulate(["--port", "0", ...args]);
    const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  test("a port in use is exit 2, not a stack trace", async () => {
    await using busy = await startFakeBinance();
    const child = spawnSimulate(["--port", String(busy.port)]);
    const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    expect(code).toBe(2);
    expect(stderr).toContain("already in use");
  });
});
