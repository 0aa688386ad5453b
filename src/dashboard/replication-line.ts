import type { ReplicationSnapshot } from "../db/replication-lag.ts";
import { LAG_ALERT_MS } from "../db/replicator.ts";
import { formatAge, formatClock, formatCount } from "./format.ts";
import type { Glyphs } from "./glyphs.ts";
import { joinLine, lineWidth, seg, truncate, type Line, type Segment, type Style } from "./styled-line.ts";

export interface ReplicationLineOptions {
  width: number;
  glyphs: Glyphs;
  utf8: boolean;
}

/**
 * `--db` as one summary line, the same facts as `resilience status`:
 * `database 127.0.0.1:5432/test table candles: live · 0 rows pending (lag 0s) · 1,234 replicated · 0 conflicts`,
 * or `database 127.0.0.1:5432/test: UNREACHABLE since 14:20:00 (3m07s) · 512 rows pending (lag 3m12s) · <error>`.
 * A lag past LAG_ALERT_MS is yellow, like other warnings; so is an outage, red once it is
 * that old. When the line is too wide, the least useful parts go first and the rest is
 * said more briefly; the error gets the room left, if any.
 */
export function renderReplicationLine(r: ReplicationSnapshot, now: number, options: ReplicationLineOptions): Line {
  const sep = seg(options.glyphs.sep, "dim");
  const { state } = r;
  const candidates = (state === "unreachable" ? _downCandidates(r, now) : _upCandidates(r, state)).map((parts) => joinLine(parts, sep));
  const line = candidates.find((l) => lineWidth(l) <= options.width) ?? candidates[candidates.length - 1]!;
  const room = options.width - lineWidth(line) - lineWidth([sep]);
  if (state !== "unreachable" || !r.error || line !== candidates[0] || room < _MIN_ERROR_COLUMNS) return line;
  return [...line, sep, seg(truncate(r.error, room, options.utf8), "dim")];
}

// --- internal ---

/** Below this many columns an error is not worth showing (the log has it). */
const _MIN_ERROR_COLUMNS = 8;

type _UpState = Exclude<ReplicationSnapshot["state"], "unreachable">;

const _STATE_STYLE: Record<_UpState, Style> = { connecting: "cyan", catching_up: "cyan", live: "green" };

/** Parts of the line for a reachable database, each candidate shorter than the one before. */
function _upCandidates(r: ReplicationSnapshot, state: _UpState): Line[][] {
  // Left out in turn: the table, a zero conflict count, the replicated count; then "rows".
  return [3, 2, 1, 0, -1].map((keep) => {
    const parts: Line[] = [[seg(`database ${r.target}${keep > 2 ? ` table ${r.table}` : ""}: `), seg(state.replace("_", " "), _STATE_STYLE[state])], _pending(r, keep >= 0)];
    if (keep > 0) parts.push([seg(`${formatCount(r.replicatedRows)} replicated`)]);
    if (keep > 1 || r.conflicts > 0) parts.push([seg(_count(r.conflicts, "conflict"), ..._warn(r.conflicts > 0))]);
    if (r.rejectedRows > 0) parts.push([seg(`${_count(r.rejectedRows, "row")} rejected`, "yellow")]);
    return parts;
  });
}

/** Parts of the line for an unreachable database: since when, then only for how long, then without "rows". */
function _downCandidates(r: ReplicationSnapshot, now: number): Line[][] {
  const head = (long: boolean): Line => [seg(`database ${r.target}: `), _down(r, now, long)];
  return [
    [head(true), _pending(r, true)],
    [head(false), _pending(r, true)],
    [head(false), _pending(r, false)],
  ];
}

/** `512 rows pending (lag 3m12s)`, or `512 pending (lag 3m12s)`; the lag yellow past LAG_ALERT_MS. */
function _pending(r: ReplicationSnapshot, rows: boolean): Line {
  const count = rows ? _count(r.pendingRows, "row") : formatCount(r.pendingRows);
  return [seg(`${count} pending (`), seg(`lag ${formatAge(r.lagMs)}`, ..._warn(r.lagMs > LAG_ALERT_MS)), seg(")")];
}

/** `UNREACHABLE since 14:20:00 (3m07s)` or `UNREACHABLE for 3m07s`: yellow, red once down longer than LAG_ALERT_MS. */
function _down(r: ReplicationSnapshot, now: number, long: boolean): Segment {
  if (r.downSince === undefined) return seg("UNREACHABLE", "yellow", "bold");
  const downMs = now - r.downSince;
  const styles: Style[] = downMs > LAG_ALERT_MS ? ["red", "bold"] : ["yellow", "bold"];
  return seg(long ? `UNREACHABLE since ${formatClock(r.downSince)} (${formatAge(downMs)})` : `UNREACHABLE for ${formatAge(downMs)}`, ...styles);
}

function _warn(on: boolean): Style[] {
  return on ? ["yellow"] : [];
}

/** `1 row`, `1,234 rows`. */
function _count(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
}
