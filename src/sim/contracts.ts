/**
 * Futures contract names, as pure functions: `BTCUSDT` and `BTCUSD_PERP` are perpetual,
 * `BTCUSDT_260327` and `BTCUSD_260327` deliver on 2026-03-27 at 08:00 UTC. Quarterly
 * contracts deliver on the last Friday of March, June, September and December.
 */

/** `deliveryDate` Binance gives perpetual contracts (2100-12-25). */
export const PERPETUAL_DELIVERY_DATE = 4_133_404_800_000;

const DAY_MS = 86_400_000;
const DELIVERY_HOUR_MS = 8 * 3_600_000;

export interface Contract {
  /** The underlying pair: BTCUSDT, BTCUSD. */
  pair: string;
  /** Delivery time of a dated contract; undefined for a perpetual. */
  delivery?: number;
}

/** `BTCUSD_PERP` → BTCUSD perpetual; `BTCUSDT_260327` → BTCUSDT delivering 2026-03-27 08:00 UTC. Pure. */
export function parseContract(symbol: string): Contract {
  const cut = symbol.indexOf("_");
  if (cut < 0) return { pair: symbol };
  const pair = symbol.slice(0, cut);
  const date = /^(\d{2})(\d{2})(\d{2})$/.exec(symbol.slice(cut + 1));
  if (!date) return { pair };
  return { pair, delivery: Date.UTC(2000 + Number(date[1]), Number(date[2]) - 1, Number(date[3])) + DELIVERY_HOUR_MS };
}

/** The next `count` quarterly delivery times after `now` (the current quarter's first). Pure. */
export function quarterlyDeliveries(now: number, count = 2): number[] {
  const out: number[] = [];
  const start = new Date(now);
  let year = start.getUTCFullYear();
  let month = Math.floor(start.getUTCMonth() / 3) * 3 + 2;
  while (out.length < count) {
    const t = _lastFriday(year, month) + DELIVERY_HOUR_MS;
    if (t > now) out.push(t);
    month += 3;
    if (month > 11) [year, month] = [year + 1, month - 12];
  }
  return out;
}

/** `260327` for 2026-03-27: the suffix of a dated contract. Pure. */
export function deliverySuffix(delivery: number): string {
  const d = new Date(delivery);
  const two = (n: number) => String(n).padStart(2, "0");
  return two(d.getUTCFullYear() % 100) + two(d.getUTCMonth() + 1) + two(d.getUTCDate());
}

// --- internal ---

/** 00:00 UTC of the last Friday of `month` (0-based). */
function _lastFriday(year: number, month: number): number {
  const last = Date.UTC(year, month + 1, 0);
  const weekday = new Date(last).getUTCDay();
  return last - ((weekday - 5 + 7) % 7) * DAY_MS;
}
