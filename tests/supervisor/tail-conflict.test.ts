import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsola } from "consola";
import { describeEvent } from "../../src/alerts/events.ts";
import { logRecorderEvent } from "../../src/supervisor/event-log.ts";
import { readConflicts } from "../../src/candles/conflict-log.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { startExchange, type Exchange, type SimKline } from "../../src/sim/exchange.ts";
import type { RecorderEvent } from "../../src/supervisor/events.ts";
import { createSupervisor, type Supervisor } from "../../src/supervisor/supervisor.ts";

const M = 60_000;
let dir: string | undefined;
let supervisor: Supervisor | undefined;
let exchange: Exchange | undefined;
afterEach(async () => {
  supervisor?.stop("test over");
  await exchange?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rowOf = (k: SimKline, close = k.close) => `${new Date(k.openTime).toISOString().replace(".000Z", "Z")},${k.open},${k.high},${k.low},${close},${k.volume}`;

test("a recorder started on a CSV whose last row the exchange disagrees with repairs it, says so in the log, the state file and the conflict log", async () => {
  exchange = await startExchange({ symbols: ["BTCUSDT"], seed: 3, log: () => {} });
  dir = mkdtempSync(join(tmpdir(), "tail-conflict-"));
  const out = join(dir, "csv");
  mkdirSync(out);
  const csv = join(out, "candles_BTCUSDT_1m.csv");
  const now = Math.floor(Date.now() / M) * M;
  const truth = [5, 4, 3].map((back) => exchange!.truth("BTCUSDT", "1m", now - back * M)!);
  const wrong = rowOf(truth[2]!, "1.00000000");
  writeFileSync(csv, `timestamp,open,high,low,close,volume\n${rowOf(truth[0]!)}\n${rowOf(truth[1]!)}\n${wrong}\n`);

  const config = resolveConfig({}, undefined, { symbol: "BTCUSDT", interval: "1m", wsUrl: exchange.wsUrl, restUrl: exchange.url, out, state: join(dir, "state.json") });
  const events: RecorderEvent[] = [];
  const sup = (supervisor = createSupervisor({ config, version: "test", onEvent: (e) => events.push(e) }));
  sup.start();
  for (const end = Date.now() + 10_000; !events.some((e) => e.type === "row_conflict"); await Bun.sleep(20)) {
    if (Date.now() > end) throw new Error("no conflict reported");
  }
  await Bun.sleep(200);
  const rows = readFileSync(csv, "utf8").trim().split("\n").slice(1);
  expect(rows.slice(0, 3)).toEqual(truth.map((k) => rowOf(k)));
  expect(rows.length).toBeGreaterThanOrEqual(5); // backfilled up to the last closed minute
  expect(readConflicts(csv)).toMatchObject([{ action: "replaced", fields: ["close"], file_row: wrong, exchange_row: rowOf(truth[2]!) }]);
  const conflict = events.find((e) => e.type === "row_conflict")!;
  expect(describeEvent(conflict)).toMatchObject({ level: "critical", streams: ["BTCUSDT@1m"] });
  const logged: string[] = [];
  logRecorderEvent(createConsola({ reporters: [{ log: (o) => logged.push(`${o.type} ${o.args.join(" ")}`) }] }), conflict);
  expect(logged).toEqual([expect.stringMatching(/^error BTCUSDT@1m: the last row \(.*\) disagrees with the exchange in close: replaced .*conflicts\.jsonl$/)]);
  expect(sup.state().streams["BTCUSDT@1m"]?.conflicts).toMatchObject([{ action: "replaced", file_row: wrong }]);
});
