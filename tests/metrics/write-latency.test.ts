import { expect, test } from "bun:test";
import { createWriteLatency, PENDING_PER_STREAM, WRITE_SECONDS_BOUNDS } from "../../src/metrics/write-latency.ts";

function setup() {
  let now = 1000;
  const latency = createWriteLatency({ now: () => now });
  const total = () => latency.histogram().counts.reduce((a, b) => a + b, 0);
  return { latency, total, advance: (ms: number) => (now += ms) };
}

test("a closing event and its row's sync make one observation of the time between", () => {
  const { latency, total, advance } = setup();
  latency.received("BTCUSDT@1s", 0);
  advance(3);
  latency.durable("BTCUSDT@1s", 0);
  const h = latency.histogram();
  expect(total()).toBe(1);
  expect(h.sum).toBeCloseTo(0.003, 9);
  expect(h.counts[WRITE_SECONDS_BOUNDS.indexOf(0.005)]).toBe(1);
});

test("a sync covering several rows observes each; rows after it wait for their own", () => {
  const { latency, total, advance } = setup();
  for (const t of [0, 1000, 2000]) latency.received("s", t);
  advance(10);
  latency.durable("s", 1000);
  expect(total()).toBe(2);
  latency.durable("s", 2000);
  expect(total()).toBe(3);
});

test("a sync of another stream, a repeated closing event and a row already on disk are not observed", () => {
  const { latency, total, advance } = setup();
  latency.received("a", 0);
  latency.durable("b", 0);
  expect(total()).toBe(0);
  advance(5);
  latency.received("a", 0); // a duplicate close keeps the first arrival
  latency.durable("a", 0);
  expect(latency.histogram().sum).toBeCloseTo(0.005, 9);
  latency.received("a", 0); // on disk already
  latency.durable("a", 1000);
  expect(total()).toBe(1);
});

test("a row that waits long lands in the last buckets; the pending map is bounded", () => {
  const { latency, total, advance } = setup();
  latency.received("s", 0);
  advance(20 * 60_000);
  latency.durable("s", 0);
  expect(latency.histogram().counts.at(-1)).toBe(1);
  for (let t = 1; t <= PENDING_PER_STREAM + 10; t++) latency.received("s", t * 1000);
  latency.durable("s", Number.MAX_SAFE_INTEGER);
  expect(total()).toBe(1 + PENDING_PER_STREAM);
});
