import { expect, test } from "bun:test";
import { join } from "node:path";
import { auditFile } from "../../src/candles/audit-file.ts";
import { renderGapsJson, renderGapsText } from "../../src/render/gaps-report.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/gaps");
const check = (name: string, interval?: "1h") => ({ file: name, report: auditFile(join(FIXTURES, name), { interval }) });

test("--json has exactly the documented keys, in order", () => {
  const record = JSON.parse(renderGapsJson(check("torn-glued-1h.csv", "1h")));
  expect(Object.keys(record)).toEqual(["file", "interval", "rows", "first", "last", "gaps", "duplicates", "out_of_order", "misaligned", "corrupt", "head_missing", "tail_missing"]);
  expect(Object.keys(record.gaps[0])).toEqual(["prev", "next", "first_missing", "last_missing", "missing", "line", "kind"]);
  expect(Object.keys(JSON.parse(renderGapsJson(check("duplicate-conflicting-1h.csv", "1h"))).duplicates[0])).toEqual(["time", "lines", "conflicting"]);
  expect(renderGapsJson(check("gap-1h.csv"))).not.toContain("\n");
});

test("the human report: a summary line, then one line per finding in file order", () => {
  expect(renderGapsText(check("corrupt-rows-1h.csv", "1h"), { color: false }).slice(0, 3)).toEqual([
    "corrupt-rows-1h.csv: 1h, 2 candles 2024-01-01T00:00:00Z .. 2024-01-01T07:00:00Z; gaps 1 (6 missing), duplicates 0, out of order 0, misaligned 0, corrupt 8",
    "  line 3: corrupt: 5 fields, expected 6",
    '  line 4: corrupt: bad number in high: "abc"',
  ]);
  expect(renderGapsText(check("gap-1h.csv"), { color: false })).toEqual([
    "gap-1h.csv: 1h (inferred from the data), 4 candles 2024-01-01T00:00:00Z .. 2024-01-01T05:00:00Z; gaps 1 (2 missing), duplicates 0, out of order 0, misaligned 0, corrupt 0",
    "  line 4: gap of 2 2024-01-01T02:00:00Z .. 2024-01-01T03:00:00Z, between 2024-01-01T01:00:00Z and 2024-01-01T04:00:00Z: not verified",
  ]);
  expect(renderGapsText(check("seed-clean-1h.csv", "1h"), { color: false })[0]).toEndWith(" ok");
});

test("colour only when asked", () => {
  expect(renderGapsText(check("gap-1h.csv"), { color: true }).join("\n")).toContain("\x1b[31mgap\x1b[0m");
  expect(renderGapsText(check("gap-1h.csv"), { color: false }).join("\n")).not.toContain("\x1b[");
});
