import { afterEach, expect, test } from "bun:test";
import { createRestBudget } from "../../src/exchange/rest-budget.ts";
import { getJson } from "../../src/exchange/rest-klines.ts";
import { systemClock } from "../../src/clock.ts";

let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

test("the budget counts every answer by HTTP status, and keeps the last used weight it saw", async () => {
  const answers = [
    () => new Response("oops", { status: 500, headers: { "x-mbx-used-weight-1m": "10" } }),
    () => Response.json({ code: -1003 }, { status: 429, headers: { "retry-after": "0", "x-mbx-used-weight-1m": "99" } }),
    () => Response.json([], { headers: { "x-mbx-used-weight-1m": "12" } }),
  ];
  let n = 0;
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => answers[n++]!() });
  const budget = createRestBudget({ clock: systemClock });
  expect(budget.answers()).toEqual({ byCode: new Map(), lastUsedWeight: undefined });
  await getJson(`http://127.0.0.1:${server.port}/api/v3/ping`, { weight: 1, budget, onRetry: () => {} }, (body) => body);
  expect(Object.fromEntries(budget.answers().byCode)).toEqual({ "500": 1, "429": 1, "200": 1 });
  expect(budget.answers().lastUsedWeight).toBe(12);
});

test("a request that gets no answer counts as code error; one aborted by a stop does not count", async () => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const closed = `http://127.0.0.1:${probe.port}/api/v3/ping`;
  probe.stop(true);
  const budget = createRestBudget({ clock: systemClock });
  await expect(getJson(closed, { weight: 1, budget, maxAttempts: 2, timeoutMs: 2000 }, (b) => b)).rejects.toThrow(/gave up after 2 attempts/);
  expect(Object.fromEntries(budget.answers().byCode)).toEqual({ error: 2 });

  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Bun.sleep(5000).then(() => new Response("[]")) });
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 100);
  await expect(getJson(`http://127.0.0.1:${server.port}/api/v3/ping`, { weight: 1, budget, signal: stop.signal }, (b) => b)).rejects.toThrow(/stopped/);
  expect(Object.fromEntries(budget.answers().byCode)).toEqual({ error: 2 });
});
