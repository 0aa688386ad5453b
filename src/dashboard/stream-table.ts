import { alignDecimals, compareDecimals, formatAge, formatClock, formatCount, formatOpenTime } from "./format.ts";
import type { Glyphs } from "./glyphs.ts";
import type { DashboardSnapshot, DashboardStream } from "./snapshot.ts";
import { streamName, streamWindow, type RankedStreams, type StreamState } from "./stream-state.ts";
import { joinLine, lineWidth, seg, type Line, type Segment, type Style } from "./styled-line.ts";
import { renderTable, tableWidth, type TableColumn } from "./table.ts";

export interface StreamTableOptions {
  width: number;
  glyphs: Glyphs;
  /** Open times with their year. */
  longDates: boolean;
}

/**
 * The stream table: a header and at most `rows` streams, worst first, scrolled to
 * `snapshot.scroll` but always showing the selected stream. Only the visible rows are
 * formatted. A STATE column appears when some stream is not simply recording; columns
 * that do not fit then make room, least useful first.
 */
export function renderStreamTable(s: DashboardSnapshot, ranked: RankedStreams, rows: number, options: StreamTableOptions): Line[] {
  const { glyphs: g, width } = options;
  if (rows <= 0) return [];
  if (s.streams.length === 0) return [[seg("STREAM", "dim")], [seg("no streams configured", "dim")]];
  const n = s.streams.length;
  const sel = selectedIndex(s);
  const first = streamWindow(n, rows, s.scroll ?? 0, ranked.rowOf[sel]);
  const rowsShown = ranked.order.slice(first, first + rows);
  const shown = rowsShown.map((i) => s.streams[i]!);
  const prices = alignDecimals(shown.map((st) => st.lastPrice ?? g.none));
  // "STREAM 6-8/8" when some streams are scrolled out of view.
  const range = shown.length < n ? ` ${first + 1}-${first + shown.length}/${formatCount(n)}` : "";
  const columns: TableColumn[] = [
    { title: `  STREAM${range}`, cells: shown.map((st, i) => _name(g, st, rowsShown[i] === sel)) },
    ...(ranked.counts.recording < n ? [{ title: "STATE", cells: rowsShown.map((i) => _state(ranked, i)) }] : []),
    { title: "PRICE", right: true, cells: shown.map((st, i) => _price(g, st, prices[i]!)) },
    { title: "UPDATED", right: true, cells: shown.map((st) => _updated(s, g, st)) },
    { title: "CANDLES", right: true, cells: shown.map((st) => [seg(formatCount(st.candlesWritten))]) },
    { title: "LAST CLOSED", cells: shown.map((st) => [seg(st.lastClosedOpenTime === null ? g.none : formatOpenTime(st.interval, st.lastClosedOpenTime, !options.longDates))]) },
    { title: "BACKFILLED", right: true, cells: shown.map((st) => [seg(formatCount(st.backfilled), ...(st.backfilled > 0 ? (["cyan"] as const) : []))]) },
    { title: "EXCH GAPS", right: true, cells: shown.map((st) => [seg(formatCount(st.exchangeGaps), ...(st.exchangeGaps > 0 ? (["yellow"] as const) : []))]) },
  ];
  return renderTable(_fit(columns, width), width);
}

/**
 * "8 streams: 5 recording · 1 lagging · 1 backfilling · 1 retired", then the pool's
 * connections and the REST budget when the snapshot has them: one line when it all fits,
 * else the stream counts and the connections/REST part each wrapped on their own lines.
 */
export function renderStreamSummary(s: DashboardSnapshot, ranked: RankedStreams, options: StreamTableOptions): Line[] {
  const c = ranked.counts;
  const n = s.streams.length;
  const streams: Line[] = [
    [seg(`${formatCount(n)} ${n === 1 ? "stream" : "streams"}: ${formatCount(c.recording)} recording`)],
    [_count(c.lagging, "yellow"), seg(" lagging")],
    [_count(c.backfilling, "cyan"), seg(" backfilling")],
    [_count(c.retired, "dim"), seg(" retired")],
  ];
  const sep = seg(options.glyphs.sep, "dim");
  const limits = _limits(s);
  const all = joinLine([...streams, ...limits], sep);
  if (lineWidth(all) <= options.width) return [all];
  return [..._wrap(streams, sep, options.width), ..._wrap(limits, sep, options.width)];
}

/** `snapshot.selected` as an index into `streams` (wrapped around), 0 when there are none. */
export function selectedIndex(s: DashboardSnapshot): number {
  const n = s.streams.length;
  return n === 0 ? 0 : ((Math.floor(s.selected) % n) + n) % n;
}

// --- internal ---

/** Columns given up, in this order, when the table is wider than the terminal. */
const _DROP_ORDER = ["CANDLES", "BACKFILLED", "EXCH GAPS", "UPDATED"];

function _fit(columns: TableColumn[], width: number): TableColumn[] {
  let fitted = columns;
  for (const title of _DROP_ORDER) {
    if (tableWidth(fitted) <= width) break;
    fitted = fitted.filter((c) => c.title !== title);
  }
  return fitted;
}

const _STATE_STYLE: Record<StreamState, Style> = { recording: "dim", lagging: "yellow", backfilling: "cyan", retired: "dim" };

function _state(ranked: RankedStreams, i: number): Line {
  const state = ranked.state[i]!;
  const text = state === "lagging" ? `lagging ${formatCount(ranked.behind[i]!)}` : state;
  return [seg(text, _STATE_STYLE[state])];
}

function _name(g: Glyphs, st: DashboardStream, selected: boolean): Line {
  const name = streamName(st);
  return selected ? [seg(`${g.selected} ${name}`, "bold")] : [seg(`  ${name}`)];
}

function _price(g: Glyphs, st: DashboardStream, text: string): Line {
  const move = st.lastPrice !== null && st.previousPrice !== null ? compareDecimals(st.lastPrice, st.previousPrice) : 0;
  if (move > 0) return [seg(`${text} ${g.up}`, "green")];
  if (move < 0) return [seg(`${text} ${g.down}`, "red")];
  return [seg(`${text}  `)];
}

function _updated(s: DashboardSnapshot, g: Glyphs, st: DashboardStream): Line {
  if (st.lastUpdateAt === null) return [seg(g.none, "dim")];
  const age = s.now - st.lastUpdateAt;
  return [seg(`${formatAge(age)} ago`, ...(age >= s.staleAfterMs ? (["red"] as const) : []))];
}

function _count(n: number, style: Style): Segment {
  return seg(formatCount(n), ...(n > 0 ? [style] : []));
}

/** The pool's connections and the REST budget, as summary parts (none when the snapshot has neither). */
function _limits(s: DashboardSnapshot): Line[] {
  const parts: Line[] = [];
  if (s.connections) {
    const { open, total } = s.connections;
    parts.push([seg("connections "), seg(`${formatCount(open)}/${formatCount(total)}`, ...(open < total ? (["yellow"] as const) : []))]);
  }
  const r = s.rest;
  if (r) {
    const full = r.usedThisMinute >= r.capPerMinute;
    parts.push([seg("REST "), seg(`${formatCount(r.usedThisMinute)}/${formatCount(r.capPerMinute)}`, ...(full ? (["yellow"] as const) : [])), seg(" per min")]);
    parts.push([seg("queue "), _count(r.queued, "yellow")]);
    if (r.pausedUntil !== undefined && r.pausedUntil > s.now) {
      parts.push([seg(`paused until ${formatClock(r.pausedUntil)} (${formatAge(r.pausedUntil - s.now)})`, "red", "bold")]);
    }
    parts.push([seg("429s "), _count(r.rateLimited, "yellow")]);
    parts.push([seg("418s "), _count(r.banned, "red")]);
  }
  return parts;
}

/** Parts packed into as few lines of `width` as they go, in order. */
function _wrap(parts: Line[], sep: Segment, width: number): Line[] {
  const lines: Line[] = [];
  let line: Line = [];
  for (const part of parts) {
    if (line.length > 0 && lineWidth(line) + lineWidth([sep]) + lineWidth(part) <= width) line = [...line, sep, ...part];
    else {
      if (line.length > 0) lines.push(line);
      line = [...part];
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}
