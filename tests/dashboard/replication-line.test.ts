import { describe, expect, test } from "bun:test";
import type { ReplicationSnapshot } from "../../src/db/replication-lag.ts";
import { ASCII_GLYPHS, UTF8_GLYPHS } from "../../src/dashboard/glyphs.ts";
import { renderDashboard } from "../../src/dashboard/render.ts";
import { renderReplicationLine } from "../../src/dashboard/replication-line.ts";
import { toAnsi } from "../../src/dashboard/styled-line.ts";
import { connected, NOW, severalStreams } from "./fixtures.ts";

function replication(overrides: Partial<ReplicationSnapshot> = {}): ReplicationSnapshot {
  return {
    target: "127.0.0.1:5432/test", table: "candles", state: "live", pendingRows: 0, lagMs: 0, replicatedRows: 1234, insertedRows: 1200,
    conflicts: 0, rejectedRows: 0, lastSuccessAt: NOW - 2000, error: undefined, downSince: undefined, ...overrides,
  };
}

const UNREACHABLE = replication({ state: "unreachable", pendingRows: 512, lagMs: 192_000, error: "connect ECONNREFUSED 127.0.0.1:5432", downSince: NOW - 187_000 });

/** The line as the terminal gets it, at `width` columns, coloured or not. */
const line = (r: ReplicationSnapshot, width = 160, colour = false, utf8 = true) =>
  toAnsi(renderReplicationLine(r, NOW, { width, glyphs: utf8 ? UTF8_GLYPHS : ASCII_GLYPHS, utf8 }), width, colour);

describe("renderReplicationLine", () => {
  test("live: target, table, state, pending rows with the lag, replicated and conflicts", () => {
    expect(line(replication())).toBe("database 127.0.0.1:5432/test table candles: live · 0 rows pending (lag 0s) · 1,234 replicated · 0 conflicts");
  });

  test("unreachable: since when, for how long, what waits, then the error", () => {
    expect(line(UNREACHABLE)).toBe("database 127.0.0.1:5432/test: UNREACHABLE since 14:20:00 (3m07s) · 512 rows pending (lag 3m12s) · connect ECONNREFUSED 127.0.0.1:5432");
  });

  test("at 80 columns the least useful parts go first, and the error is cut to the room left", () => {
    expect(line(replication(), 80)).toBe("database 127.0.0.1:5432/test: live · 0 rows pending (lag 0s) · 1,234 replicated");
    expect(line(replication({ conflicts: 2 }), 80)).toBe("database 127.0.0.1:5432/test: live · 0 rows pending (lag 0s) · 2 conflicts");
    expect(line(replication({ pendingRows: 12_345, lagMs: 65_000 }), 80)).toBe("database 127.0.0.1:5432/test: live · 12,345 rows pending (lag 1m05s)");
    expect(line(UNREACHABLE, 100)).toBe("database 127.0.0.1:5432/test: UNREACHABLE since 14:20:00 (3m07s) · 512 rows pending (lag 3m12s)");
    expect(line(UNREACHABLE, 90)).toBe("database 127.0.0.1:5432/test: UNREACHABLE for 3m07s · 512 rows pending (lag 3m12s)");
    expect(line(UNREACHABLE, 80)).toBe("database 127.0.0.1:5432/test: UNREACHABLE for 3m07s · 512 pending (lag 3m12s)");
    expect(line(UNREACHABLE, 115)).toEndWith("(lag 3m12s) · connect ECONNREF…");
    expect(line(UNREACHABLE, 115, false, false)).toEndWith("(lag 3m12s) | connect ECONNREF~");
  });

  test.each([
    ["a short outage is yellow", UNREACHABLE, "\x1b[33;1mUNREACHABLE since 14:20:00 (3m07s)\x1b[0m"],
    ["an outage over 5 min is red", { ...UNREACHABLE, downSince: NOW - 301_000 }, "\x1b[31;1mUNREACHABLE since 14:18:06 (5m01s)\x1b[0m"],
    ["a lag over 5 min is yellow", replication({ state: "catching_up", lagMs: 301_000, pendingRows: 40 }), "\x1b[33mlag 5m01s\x1b[0m"],
    ["live is green", replication(), "\x1b[32mlive\x1b[0m"],
    ["catching up is cyan", replication({ state: "catching_up" }), "\x1b[36mcatching up\x1b[0m"],
    ["conflicts are yellow", replication({ conflicts: 3 }), "\x1b[33m3 conflicts\x1b[0m"],
  ] as const)("%s", (_, r, coloured) => {
    expect(line(r, 160, true)).toContain(coloured);
  });

  test("a lag of 5 min or less is not coloured", () => {
    expect(line(replication({ lagMs: 300_000, pendingRows: 3 }), 160, true)).toContain("pending (lag 5m00s)");
  });
});

describe("renderDashboard with --db replication", () => {
  const plain = (s: Parameters<typeof renderDashboard>[0], columns = 80, rows = 24) => renderDashboard({ ...s, colour: false }, columns, rows);

  test("one line in the summary, under the stream counts", () => {
    const lines = plain(connected({ replication: replication() }));
    expect(lines[2]).toBe("1 stream: 1 recording · 0 lagging · 0 backfilling · 0 retired");
    expect(lines[3]).toBe("database 127.0.0.1:5432/test: live · 0 rows pending (lag 0s) · 1,234 replicated");
    expect(plain(connected({ replication: UNREACHABLE }))[3]).toBe("database 127.0.0.1:5432/test: UNREACHABLE for 3m07s · 512 pending (lag 3m12s)");
    expect(plain(connected({ replication: UNREACHABLE }), 160, 48)[3]).toBe(
      "database 127.0.0.1:5432/test: UNREACHABLE since 14:20:00 (3m07s) · 512 rows pending (lag 3m12s) · connect ECONNREFUSED 127.0.0.1:5432",
    );
  });

  test("still exactly the terminal's size, and unchanged without replication", () => {
    for (const [columns, rows] of [[80, 24], [100, 30], [160, 48], [40, 10]] as const) {
      const lines = renderDashboard(severalStreams(), columns, rows);
      const withDb = renderDashboard({ ...severalStreams(), replication: UNREACHABLE }, columns, rows);
      expect(withDb).toHaveLength(rows);
      for (const l of withDb) expect(Bun.stringWidth(l.replace(/\x1b\[[0-9;]*m/g, ""))).toBeLessThanOrEqual(columns);
      expect(lines.some((l) => l.includes("database"))).toBe(false);
    }
  });
});
