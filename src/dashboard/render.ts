import { formatDuration } from "../time/duration.ts";
import { renderCandleSection } from "./candle-section.ts";
import { renderReplicationLine } from "./replication-line.ts";
import { formatAge, formatBytes, formatClock, formatCount } from "./format.ts";
import { ASCII_GLYPHS, UTF8_GLYPHS, type Glyphs } from "./glyphs.ts";
import type { DashboardSnapshot, LogLevel } from "./snapshot.ts";
import { rankStreams, type RankedStreams } from "./stream-state.ts";
import { renderStreamSummary, renderStreamTable, selectedIndex } from "./stream-table.ts";
import { joinLine, lineWidth, seg, spread, toAnsi, truncate, type Line, type Segment, type Style } from "./styled-line.ts";

/** The layout is designed for 80x24 and up; smaller terminals get it clipped. */
export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;
/** From this width dates keep their year. */
const LONG_DATES_MIN_COLUMNS = 100;

/**
 * The dashboard as exactly `rows` lines of at most `columns` visible columns each (ANSI
 * colour codes aside). Pure: the same snapshot and size always give the same lines, so
 * the terminal loop can skip a redraw when nothing changed. The stream table shows only
 * the rows that fit, so thousands of streams cost one sort and a screenful of cells.
 */
export function renderDashboard(snapshot: DashboardSnapshot, columns: number, rows: number): string[] {
  const v = _view(snapshot, columns);
  const height = Math.max(1, Math.floor(rows));
  const layout = _layout(v, height);
  const { width } = v;

  const blank = layout.spacing > 0 ? [[]] : [];
  const body: Line[] = [
    ...layout.top,
    ...blank,
    ...renderStreamTable(snapshot, v.ranked, layout.streamRows, { width, glyphs: v.g, longDates: v.longDates }),
    ...blank,
    ...renderCandleSection(snapshot.streams[selectedIndex(snapshot)], layout.candleRows, { width, utf8: snapshot.utf8, longDates: v.longDates }),
    ...blank,
    ...layout.counters,
    ...blank,
    ..._log(v, layout.logRows),
  ];
  const lines = body.slice(0, height - 1);
  while (lines.length < height - 1) lines.push([]);
  lines.push(_footer(v, snapshot.streams.length > layout.streamRows));
  return lines.slice(-height).map((line) => toAnsi(line, width, snapshot.colour ?? true));
}

/** How many streams the table shows at this terminal size: one page for PgUp/PgDn. */
export function streamTableRows(snapshot: DashboardSnapshot, columns: number, rows: number): number {
  return _layout(_view(snapshot, columns), Math.max(1, Math.floor(rows))).streamRows;
}

// --- internal ---

interface _View {
  s: DashboardSnapshot;
  width: number;
  g: Glyphs;
  longDates: boolean;
  ranked: RankedStreams;
}

function _view(s: DashboardSnapshot, columns: number): _View {
  const width = Math.max(1, Math.floor(columns));
  const g = s.utf8 ? UTF8_GLYPHS : ASCII_GLYPHS;
  return { s, width, g, longDates: width >= LONG_DATES_MIN_COLUMNS, ranked: rankStreams(s.streams, s.now) };
}

/** Rows per section: the top lines and counters are fixed, the rest is shared out. */
function _layout(v: _View, height: number) {
  const { s } = v;
  const top = [_header(v), _status(v), ...renderStreamSummary(s, v.ranked, { width: v.width, glyphs: v.g, longDates: v.longDates })];
  if (s.replication) top.push(renderReplicationLine(s.replication, s.now, { width: v.width, glyphs: v.g, utf8: s.utf8 }));
  const counters = _counters(v);
  // Top, streams header, candle title + header, counters, log title, footer.
  const fixed = top.length + 1 + 2 + counters.length + 1 + 1;
  const spacing = height - fixed >= 4 + 6 ? 4 : 0;
  let free = Math.max(0, height - fixed - spacing);
  const streamRows = Math.min(s.streams.length || 1, Math.max(1, Math.floor(free * 0.35)), free);
  free -= streamRows;
  const recent = s.streams[selectedIndex(s)]?.recent.length ?? 0;
  const candleRows = Math.min(recent, Math.max(free > 2 ? 3 : free, Math.ceil(free * 0.6)));
  return { top, counters, spacing, streamRows, candleRows, logRows: free - candleRows };
}

const STATUS_STYLE: Record<DashboardSnapshot["status"], Style> = {
  starting: "cyan",
  connected: "green",
  reconnecting: "yellow",
  stale: "red",
  stopped: "dim",
};

const LEVEL: Record<LogLevel, { label: string; style?: Style }> = {
  debug: { label: "DEBUG", style: "dim" },
  info: { label: "INFO " },
  success: { label: "OK   ", style: "green" },
  warn: { label: "WARN ", style: "yellow" },
  error: { label: "ERROR", style: "red" },
};

function _header({ s, g, width }: _View): Line {
  const left = [seg("resilience", "bold"), seg(` ${s.version}${g.sep}${s.host}${g.sep}up ${formatAge(s.now - s.startedAt)}`)];
  return spread(left, [seg(`${formatClock(s.now)} UTC`, "dim")], width);
}

function _status({ s, g }: _View): Line {
  const badge = seg(`${g.status[s.status]} ${s.status.toUpperCase()}`, "bold", STATUS_STYLE[s.status]);
  const parts: Line[] = [];
  if (s.status === "starting") parts.push([seg("connecting")]);
  if (s.status === "connected" && s.connectedSince !== null) parts.push([seg(`for ${formatAge(s.now - s.connectedSince)}`)]);
  if (s.status === "reconnecting") {
    const retry = s.nextRetryAt === null ? "connecting now" : `retry in ${formatAge(s.nextRetryAt - s.now)}`;
    parts.push([seg(`attempt ${s.reconnectAttempt}, ${retry}`)]);
  }
  if (s.status !== "stopped") parts.push(_lastMessage(s));
  if (s.nextRestartAt !== null && s.status !== "stopped") parts.push([seg(`restart in ${formatAge(s.nextRestartAt - s.now)}`)]);
  return [badge, seg(" "), ...joinLine(parts, seg(g.sep, "dim"))];
}

/** "last message 45s ago (stale at 1m)": yellow from half the stale limit, red from 80 %. */
function _lastMessage(s: DashboardSnapshot): Line {
  if (s.lastMessageAt === null) return [seg("no message yet", "dim")];
  const age = s.now - s.lastMessageAt;
  const ratio = s.staleAfterMs > 0 ? age / s.staleAfterMs : 0;
  const style: Style[] = ratio >= 0.8 ? ["red", "bold"] : ratio >= 0.5 ? ["yellow"] : [];
  const limit = ratio >= 0.5 && s.status !== "reconnecting" ? ` (stale at ${formatDuration(s.staleAfterMs)})` : "";
  return [seg("last message "), seg(`${formatAge(age)} ago`, ...style), seg(limit, "dim")];
}

function _counters({ s, g, width }: _View): Line[] {
  const c = s.counters;
  const warn = (n: number, style: Style): Segment => seg(formatCount(n), ...(n > 0 ? [style] : []));
  const first: Line = [
    seg(`reconnects ${formatCount(c.reconnectsReactive)} reactive / ${formatCount(c.reconnectsProactive)} proactive`),
    seg(g.sep, "dim"),
    seg("stale "),
    warn(c.staleDetections, "yellow"),
    seg(g.sep, "dim"),
    seg(`REST calls ${formatCount(c.restCalls)}`),
  ];
  const fsync = c.lastFsyncAt === null ? "never" : `${formatAge(s.now - c.lastFsyncAt)} ago`;
  const second: Line = [
    seg(`alerts ${formatCount(c.alertsSent)} sent / `),
    warn(c.alertsQueued, "yellow"),
    seg(" queued / "),
    warn(c.alertsFailed, "red"),
    seg(" failed"),
    seg(g.sep, "dim"),
    seg(`CSV ${formatBytes(c.csvBytes)}, fsync ${fsync}`),
  ];
  const both = [...first, seg(g.sep, "dim"), ...second];
  return lineWidth(both) <= width ? [both] : [first, second];
}

function _log({ s, width }: _View, rows: number): Line[] {
  if (rows <= 0) return [];
  const entries = s.log.slice(-rows);
  const lines: Line[] = [[seg("log", "bold")]];
  for (const e of entries) {
    const level = LEVEL[e.level] ?? LEVEL.info;
    const firstLine = e.message.split("\n", 1)[0] ?? "";
    const message = truncate(firstLine, width - 15, s.utf8);
    lines.push([seg(formatClock(e.at), "dim"), seg(" "), seg(level.label, ...(level.style ? [level.style] : [])), seg(` ${message}`)]);
  }
  if (entries.length === 0) lines.push([seg("nothing logged yet", "dim")]);
  return lines.slice(0, rows + 1);
}

/** The keys; the scroll keys too when some streams are out of view and they fit. */
function _footer({ g, width }: _View, scrollable: boolean): Line {
  const key = (k: string): Segment => seg(k, "bold", "cyan");
  const parts: Line[] = [
    [key("q/F10/Ctrl-C"), seg(" quit")],
    [key("d"), seg(" drop connection")],
    [key("r"), seg(" restart now")],
    [key("tab"), seg(" next stream")],
  ];
  const withScroll = joinLine([...parts, [key(g.scrollKeys), seg(" scroll")]], seg(g.sep, "dim"));
  return scrollable && lineWidth(withScroll) <= width ? withScroll : joinLine(parts, seg(g.sep, "dim"));
}
