import type { Key } from "../terminal/keys.ts";
import { streamTableRows } from "./render.ts";
import type { DashboardSnapshot } from "./snapshot.ts";
import { rankStreams, streamName, streamWindow } from "./stream-state.ts";

/**
 * What the user did to the stream table: which stream is selected (its candles are
 * shown) and how far the table is scrolled. Keys act on the table as last drawn; `fit`
 * applies the view to each new frame.
 *
 * Until a key picks a stream the view follows the table's top row, the worst stream.
 * Once picked, a stream stays selected by name while the table re-sorts around it, and
 * the table scrolls to keep it in view. `home` goes back to following the top row.
 */
export interface DashboardView {
  /** The picked stream (`BTCUSDT@1h`), or undefined while the view follows the top row. */
  readonly selected: string | undefined;
  /** The first table row shown (0 = the worst stream). */
  readonly scroll: number;
  /**
   * Handles up/down (one row), pgup/pgdn (one page), home/end, tab/shift-tab (next or
   * previous stream, wrapping around). Scrolling carries the selection along when it
   * would leave the view. Returns true when something changed and a redraw is due.
   */
  onKey(key: Key): boolean;
  /** The snapshot with this view's selection and scroll, for a terminal of `columns` x `rows` (call once per frame). */
  fit(snapshot: DashboardSnapshot, columns: number, rows: number): DashboardSnapshot;
}

export function createDashboardView(): DashboardView {
  let selected: string | undefined;
  let scroll = 0;
  /** The table as last fitted: stream names in table order, and the rows on screen. */
  let names: string[] = [];
  let page = 1;

  return {
    get selected() {
      return selected;
    },
    get scroll() {
      return scroll;
    },
    onKey(key) {
      const n = names.length;
      if (n === 0 || !(key in _MOVES)) return false;
      const row = selected === undefined ? 0 : Math.max(0, names.indexOf(selected));
      const next = _MOVES[key]!({ row, scroll, page, count: n });
      // Nothing moved (up at the top): keep following the top row if the view did.
      if (!next.follow && next.row === row && next.scroll === scroll) return false;
      const nextSelected = next.follow ? undefined : names[next.row];
      const changed = nextSelected !== selected || next.scroll !== scroll;
      selected = nextSelected;
      scroll = next.scroll;
      return changed;
    },
    fit(snapshot, columns, rows) {
      const ranked = rankStreams(snapshot.streams, snapshot.now);
      names = ranked.order.map((i) => streamName(snapshot.streams[i]!));
      page = Math.max(1, streamTableRows(snapshot, columns, rows));
      let index = selected === undefined ? -1 : snapshot.streams.findIndex((st) => streamName(st) === selected);
      if (index < 0) {
        // Nothing picked, or the picked stream is gone: follow the top row.
        selected = undefined;
        scroll = 0;
        index = ranked.order[0] ?? 0;
      }
      scroll = streamWindow(names.length, page, scroll, ranked.rowOf[index]);
      return { ...snapshot, selected: index, scroll };
    },
  };
}

// --- internal ---

interface _Position {
  /** The selected row, in table order. */
  row: number;
  scroll: number;
  page: number;
  count: number;
}

/** `follow`: go back to following the top row. */
type _Move = (p: _Position) => { row: number; scroll: number; follow?: boolean };

/** Scrolls by `by` rows; the selection is carried along if it would leave the view. */
function _scrollBy(by: (p: _Position) => number): _Move {
  return (p) => {
    const scroll = streamWindow(p.count, p.page, p.scroll + by(p));
    const row = Math.min(Math.max(p.row, scroll), Math.min(p.count, scroll + p.page) - 1);
    return { row, scroll };
  };
}

/** Selects `row` (wrapped around) and scrolls just enough to show it. */
function _select(to: (p: _Position) => number): _Move {
  return (p) => {
    const row = ((to(p) % p.count) + p.count) % p.count;
    return { row, scroll: streamWindow(p.count, p.page, p.scroll, row) };
  };
}

const _MOVES: Partial<Record<Key, _Move>> = {
  up: _scrollBy(() => -1),
  down: _scrollBy(() => 1),
  pgup: _scrollBy((p) => -p.page),
  pgdn: _scrollBy((p) => p.page),
  home: () => ({ row: 0, scroll: 0, follow: true }),
  end: _select((p) => p.count - 1),
  tab: _select((p) => p.row + 1),
  "shift-tab": _select((p) => p.row - 1),
};
