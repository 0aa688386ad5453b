import { formatDuration } from "../time/duration.ts";
import { renderCandleSection } from "./candle-section.ts";
import { alignDecimals, compareDecimals, formatAge, formatBytes, formatClock, formatCount, formatOpenTime } from "./format.ts";
import type { DashboardSnapshot, DashboardStream, LogLevel } from "./snapshot.ts";
import { joinLine, lineWidth, seg, spread, toAnsi, truncate, type Line, type Segment, type Style } from "./styled-line.ts";
import { renderTable } from "./table.ts";

/** The layout is designed for 80x24 and up; smaller terminals get it clipped. */
export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;
/** From this width dates keep their year. */
const LONG_DATES_MIN_COLUMNS = 100;

/**
 * The dashboard as exactly `rows` lines of at most `columns` visible columns each (ANSI
 * colour codes aside). Pure: the same snapshot and size always give the same lines, so
 * the terminal loop can skip a redraw when nothing changed.
 */
export function renderDashboard(snapshot: DashboardSnapshot, columns: number, rows: number): string[] {
  const width = Math.max(1, Math.floor(columns));
  const height = Math.max(1, Math.floor(rows));
  const v: _View = { s: snapshot, width, g: snapshot.utf8 ? UTF8 : ASCII, longDates: width >= LONG_DATES_MIN_COLUMNS };

  const top = [_header(v), _status(v)];
  const counters = _counters(v);
  const footer = _footer(v);
  // Header, streams header, candle title + header, counters, log title, footer.
  const fixed = top.length + 1 + 2 + counters.length + 1 + 1;
  const spacing = height - fixed >= 4 + 6 ? 4 : 0;
  let free = Math.max(0, height - fixed - spacing);
  const streamRows = Math.min(snapshot.streams.length || 1, Math.max(1, Math.floor(free * 0.35)), free);
  free -= streamRows;
  const selected = _selectedStream(snapshot);
  const candleRows = Math.min(selected?.recent.length ?? 0, Math.max(free > 2 ? 3 : free, Math.ceil(free * 0.6)));
  const logRows = free - candleRows;

  const blank = spacing > 0 ? [[]] : [];
  const body: Line[] = [
    ...top,
    ...blank,
    ..._streams(v, streamRows),
    ...blank,
    ...renderCandleSection(selected, candleRows, { width, utf8: snapshot.utf8, longDates: v.longDates }),
    ...blank,
    ...counters,
    ...blank,
    ..._log(v, logRows),
  ];
  const lines = body.slice(0, height - 1);
  while (lines.length < height - 1) lines.push([]);
  lines.push(footer);
  return lines.slice(-height).map((line) => toAnsi(line, width, snapshot.colour ?? true));
}

// --- internal ---

interface _View {
  s: DashboardSnapshot;
  width: number;
  g: _Glyphs;
  longDates: boolean;
}

interface _Glyphs {
  sep: string;
  up: string;
  down: string;
  selected: string;
  none: string;
  status: Record<DashboardSnapshot["status"], string>;
}

const UTF8: _Glyphs = {
  sep: " · ",
  up: "▲",
  down: "▼",
  selected: "▶",
  none: "–",
  status: { starting: "○", connected: "●", reconnecting: "◌", stale: "▲", stopped: "■" },
};

const ASCII: _Glyphs = {
  sep: " | ",
  up: "^",
  down: "v",
  selected: ">",
  none: "-",
  status: { starting: "o", connected: "*", reconnecting: "~", stale: "!", stopped: "#" },
};

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

function _streams(v: _View, rows: number): Line[] {
  const { s, g } = v;
  if (rows <= 0) return [];
  if (s.streams.length === 0) return [[seg("STREAM", "dim")], [seg("no streams configured", "dim")]];
  const sel = _selectedIndex(s);
  const first = Math.max(0, Math.min(sel - Math.floor(rows / 2), s.streams.length - rows));
  const shown = s.streams.slice(first, first + rows);
  const prices = alignDecimals(shown.map((st) => st.lastPrice ?? g.none));
  // "STREAM 6-8/8" when some streams are scrolled out of view.
  const range = shown.length < s.streams.length ? ` ${first + 1}-${first + shown.length}/${s.streams.length}` : "";
  return renderTable(
    [
      { title: `  STREAM${range}`, cells: shown.map((st, i) => _streamName(v, st, first + i === sel)) },
      { title: "PRICE", right: true, cells: shown.map((st, i) => _price(v, st, prices[i]!)) },
      { title: "UPDATED", right: true, cells: shown.map((st) => _updated(v, st)) },
      { title: "CANDLES", right: true, cells: shown.map((st) => [seg(formatCount(st.candlesWritten))]) },
      { title: "LAST CLOSED", cells: shown.map((st) => [seg(st.lastClosedOpenTime === null ? g.none : formatOpenTime(st.interval, st.lastClosedOpenTime, !v.longDates))]) },
      { title: "BACKFILLED", right: true, cells: shown.map((st) => [seg(formatCount(st.backfilled), ...(st.backfilled > 0 ? (["cyan"] as const) : []))]) },
      { title: "EXCH GAPS", right: true, cells: shown.map((st) => [seg(formatCount(st.exchangeGaps), ...(st.exchangeGaps > 0 ? (["yellow"] as const) : []))]) },
    ],
    v.width,
  );
}

function _streamName({ g }: _View, st: DashboardStream, selected: boolean): Line {
  const name = `${st.symbol}@${st.interval}`;
  return selected ? [seg(`${g.selected} ${name}`, "bold")] : [seg(`  ${name}`)];
}

function _price({ g }: _View, st: DashboardStream, text: string): Line {
  const move = st.lastPrice !== null && st.previousPrice !== null ? compareDecimals(st.lastPrice, st.previousPrice) : 0;
  if (move > 0) return [seg(`${text} ${g.up}`, "green")];
  if (move < 0) return [seg(`${text} ${g.down}`, "red")];
  return [seg(`${text}  `)];
}

function _updated({ s, g }: _View, st: DashboardStream): Line {
  if (st.lastUpdateAt === null) return [seg(g.none, "dim")];
  const age = s.now - st.lastUpdateAt;
  return [seg(`${formatAge(age)} ago`, ...(age >= s.staleAfterMs ? (["red"] as const) : []))];
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

function _footer({ g }: _View): Line {
  const key = (k: string): Segment => seg(k, "bold", "cyan");
  return joinLine(
    [
      [key("q/F10/Ctrl-C"), seg(" quit")],
      [key("d"), seg(" drop connection")],
      [key("r"), seg(" restart now")],
      [key("tab"), seg(" next stream")],
    ],
    seg(g.sep, "dim"),
  );
}

function _selectedIndex(s: DashboardSnapshot): number {
  const n = s.streams.length;
  return n === 0 ? 0 : ((Math.floor(s.selected) % n) + n) % n;
}

function _selectedStream(s: DashboardSnapshot): DashboardStream | undefined {
  return s.streams[_selectedIndex(s)];
}
