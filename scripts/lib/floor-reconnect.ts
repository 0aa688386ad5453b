/**
 * The floor for the recovery benchmark: the least a client must do to recover. It
 * appends every close it sees (write + fdatasync); whenever the connection closes it
 * reconnects at once, and on every open asks REST for the candles after its last row and
 * appends the closed ones. No validation, no backoff, no lock, no state file.
 *
 *   bun scripts/lib/floor-reconnect.ts WS_URL REST_URL SYMBOL,SYMBOL OUT_DIR
 */
import { fdatasyncSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

const [wsUrl, restUrl, symbolList, outDir] = process.argv.slice(2) as [string, string, string, string];
const symbols = symbolList.split(",");
const files = new Map(symbols.map((s) => [s, { fd: openSync(join(outDir, `candles_${s}_1s.csv`), "a"), last: 0 }]));

function append(symbol: string, t: number, o: string, h: string, l: string, c: string, v: string): void {
  const file = files.get(symbol)!;
  if (t <= file.last) return;
  file.last = t;
  writeSync(file.fd, `${new Date(t).toISOString().slice(0, 19)}Z,${o},${h},${l},${c},${v}\n`);
  fdatasyncSync(file.fd);
}

function connect(): void {
  const ws = new WebSocket(`${wsUrl}/stream?streams=${symbols.map((s) => `${s.toLowerCase()}@kline_1s`).join("/")}`);
  ws.onopen = () => {
    for (const [symbol, file] of files) {
      if (file.last === 0) continue;
      fetch(`${restUrl}/api/v3/klines?symbol=${symbol}&interval=1s&startTime=${file.last + 1000}&limit=1000`)
        .then((r) => r.json() as Promise<[number, string, string, string, string, string][]>)
        .then((rows) => {
          for (const r of rows.slice(0, -1)) append(symbol, r[0], r[1], r[2], r[3], r[4], r[5]);
        });
    }
  };
  ws.onmessage = (event) => {
    const k = JSON.parse(event.data as string).data.k;
    if (k.x) append(k.s, k.t, k.o, k.h, k.l, k.c, k.v);
  };
  ws.onclose = () => connect();
}
connect();
