/**
 * The server side of the durable-write benchmark, in its own process so that it never
 * shares an event loop with the client measured. On each combined-stream connection it
 * sends, every `--every-ms`, an in-progress update and then the close of the next candle
 * of the next stream (round robin, consecutive open times from the current 1m candle),
 * noting when each close was handed to the socket. `GET /times?conn=N` answers
 * `[[symbol, openTime, sentAtEpochMs], …]`. Prints `listening on PORT` first.
 *
 *   bun scripts/lib/paced-closes-server.ts --closes 10000 --every-ms 1
 */
import { parseArgs } from "node:util";
import { candleOpenAt } from "../../src/time/intervals.ts";
import { startBenchServer, type BenchSocket } from "./bench-server.ts";
import { klineFrame } from "./kline-frame.ts";
import { preciseNow } from "./timing.ts";

const { values } = parseArgs({ options: { closes: { type: "string", default: "10000" }, "every-ms": { type: "string", default: "1" } } });
const CLOSES = Number(values.closes);
const EVERY_MS = Number(values["every-ms"]);
const MINUTE_MS = 60_000;

const times = new Map<number, [string, number, number][]>();
const server = startBenchServer({
  onOpen: (ws) => pace(ws),
  onClose: () => {},
});
const http = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (req) => Response.json(times.get(Number(new URL(req.url).searchParams.get("conn"))) ?? []),
});
console.log(`listening on ${server.wsUrl} times on ${http.url}`);

function pace(ws: BenchSocket): void {
  const symbols = ws.data.streams.map((s) => s.split("@")[0]!.toUpperCase());
  const sent: [string, number, number][] = [];
  times.set(ws.data.id, sent);
  const firstOpen = candleOpenAt("1m", Date.now());
  let k = 0;
  const timer = setInterval(() => {
    if (k >= CLOSES || ws.readyState !== 1) return clearInterval(timer);
    const symbol = symbols[k % symbols.length]!;
    const openTime = firstOpen + Math.floor(k / symbols.length) * MINUTE_MS;
    const spec = { symbol, interval: "1m", openTime, nextOpenTime: openTime + MINUTE_MS, eventTime: Date.now(), seq: k };
    ws.sendText(klineFrame({ ...spec, closed: false }));
    const frame = klineFrame({ ...spec, closed: true });
    sent.push([symbol, openTime, preciseNow()]);
    ws.sendText(frame);
    k++;
  }, EVERY_MS);
}
