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

  test("--symbols N serves a generated market, --rest-weight its limit; /sim/stats counts refusals and a warning is printed", async () => {
    const child = spawnSimulate(["--port", "0", "--symbols", "200", "--rest-weight", "40", "--faults", "halt:ETHUSDT@0s"]);
    try {
      const { line, after, rest } = await firstLine(child.stdout);
      const url = line.slice("listening on ".length);
      const faults = async () => ((await (await fetch(`${url}/sim/stats`)).json()) as { faults: Record<string, number> }).faults;
      for (let i = 0; i < 100 && (await faults()).halt !== 1; i++) await Bun.sleep(10);
      const info = (await (await fetch(`${url}/api/v3/exchangeInfo`)).json()) as { rateLimits: { limit: number }[]; symbols: { symbol: string; status: string }[] };
      expect(info.rateLimits[0]!.limit).toBe(40);
      expect(info.symbols).toHaveLength(206);
      expect(info.symbols.slice(0, 3).map((s) => [s.symbol, s.status])).toEqual([["BTCUSDT", "TRADING"], ["ETHUSDT", "HALT"], ["BNBUSDT", "TRADING"]]);
      expect(info.symbols.filter((s) => s.status === "BREAK")).toHaveLength(6);
      expect((await fetch(`${url}/api/v3/exchangeInfo?symbol=BTCUSDT`)).status).toBe(200);
      const refused = await fetch(`${url}/api/v3/ping`);
      expect(refused.status).toBe(429);
      const stats = (await (await fetch(`${url}/sim/stats`)).json()) as { limits: Record<string, number>; peakWeightPerMinute: number; faults: Record<string, number> };
      expect(stats.limits).toEqual({ uri414: 0, tooManyStreams: 0, attempts429: 0, messages1008: 0, rest429: 1, rest418: 0 });
      expect(stats.peakWeightPerMinute).toBe(41);
      expect(stats.faults).toEqual({ halt: 1 });
      let text = after;
      const decoder = new TextDecoder();
      const deadline = Date.now() + 5000;
      while (!text.includes("limit rest429") && Date.now() < deadline) {
        const { value, done } = await rest.read();
        if (done) break;
        text += decoder.decode(value);
      }
      expect(text).toMatch(/WARN.*limit rest429: 41\/40 weight this minute \(\/api\/v3\/ping\); Retry-After \d+ s/);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test.each([
    [["--symbols", "0"], '--symbols: "0" is not a whole number from 1 to 20000'],
    [["--symbols", "many"], '--symbols: "many" is not a whole number'],
    [["--symbols", "10", "--symbol", "BTCUSDT"], "--symbol and --symbols: give one"],
    [["--rest-weight", "-5"], '--rest-weight: "-5" is not a whole number'],
    [["--faults", "halt:BTC-USDT@1m"], '"BTC-USDT" is not a symbol'],
    [["--faults", "silent:BTCUSDT@kline_1m@1m"], '"BTCUSDT@kline_1m" is not a kline stream'],
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
