import { describe, expect, test } from "bun:test";

const BUN = "./node_modules/.bin/bun";

function spawnSimulate(args: string[]) {
  return Bun.spawn([BUN, "src/cli.ts", "simulate", ...args], { stdout: "pipe", stderr: "pipe" });
}

/** The first `count` lines a process prints on stdout. */
async function firstLines(stream: ReadableStream<Uint8Array>, count: number): Promise<string[]> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (text.split("\n").length <= count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  reader.releaseLock();
  return text.split("\n").slice(0, count);
}

describe("resilience simulate --market", () => {
  test("usdm: 'listening on' first, then the market and its paths; serves /fapi/v1 and /market streams only", async () => {
    const child = spawnSimulate(["--port", "0", "--market", "usdm", "--symbol", "btcusdt,SOLUSDT"]);
    try {
      const [listening, market] = await firstLines(child.stdout, 2);
      expect(listening).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = listening!.slice("listening on ".length);
      const ws = url.replace("http", "ws");
      expect(market).toBe(
        `market usdm: REST ${url}/fapi/v1/{klines,exchangeInfo,ping,time}, streams ${ws}/market/stream?streams=… and ${ws}/market/ws/<stream> (run --market usdm --rest-url ${url} --ws-url ${ws}/market)`,
      );
      const info = (await (await fetch(`${url}/fapi/v1/exchangeInfo`)).json()) as { symbols: { symbol: string; contractType: string }[] };
      expect(info.symbols.map((s) => [s.symbol, s.contractType])).toEqual([["BTCUSDT", "PERPETUAL"], ["SOLUSDT", "PERPETUAL"]]);
      expect((await fetch(`${url}/api/v3/exchangeInfo`)).status).toBe(404);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("coinm without --symbol serves BTCUSD_PERP, ETHUSD_PERP, SOLUSD_PERP", async () => {
    const child = spawnSimulate(["--port", "0", "--market", "coinm"]);
    try {
      const [listening, market] = await firstLines(child.stdout, 2);
      const url = listening!.slice("listening on ".length);
      expect(market).toStartWith(`market coinm: REST ${url}/dapi/v1/`);
      const info = (await (await fetch(`${url}/dapi/v1/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
      expect(info.symbols.map((s) => s.symbol)).toEqual(["BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"]);
      child.kill("SIGINT");
      expect(await child.exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("--help documents --market", async () => {
    const child = spawnSimulate(["--help"]);
    const [code, stdout] = await Promise.all([child.exited, new Response(child.stdout).text()]);
    expect(code).toBe(0);
    expect(stdout).toContain("--market");
    expect(stdout).toContain("/market/stream");
    expect(stdout).toContain("/dapi/v1");
  });

  test.each([
    [["--market", "futures"], '--market: "futures" is not a market; give one of spot, usdm, coinm'],
    [["--market", "coinm", "--symbol", "BTCUSD-PERP"], '--symbol: "BTCUSD-PERP" is not a symbol'],
  ])("%j is exit 2 with one line naming the problem", async (args, message) => {
    const child = spawnSimulate(["--port", "0", ...args]);
    const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(message);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });
});
