import type { DashboardStatus } from "./snapshot.ts";

/** The characters the dashboard draws with: UTF-8 ones, or an ASCII fallback (`detectUtf8`). */
export interface Glyphs {
  sep: string;
  up: string;
  down: string;
  selected: string;
  none: string;
  /** The scroll keys, as the footer names them. */
  scrollKeys: string;
  status: Record<DashboardStatus, string>;
}

export const UTF8_GLYPHS: Glyphs = {
  sep: " · ",
  up: "▲",
  down: "▼",
  selected: "▶",
  none: "–",
  scrollKeys: "↑↓/PgUp/PgDn",
  status: { starting: "○", connected: "●", reconnecting: "◌", stale: "▲", stopped: "■" },
};

export const ASCII_GLYPHS: Glyphs = {
  sep: " | ",
  up: "^",
  down: "v",
  selected: ">",
  none: "-",
  scrollKeys: "arrows/PgUp/PgDn",
  status: { starting: "o", connected: "*", reconnecting: "~", stale: "!", stopped: "#" },
};
