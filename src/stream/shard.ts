import { combinedStreamUrl, klineStreamName, type StreamSpec } from "./binance.ts";

/** Binance refuses combined-stream URLs longer than about 8,000 characters (HTTP 414). */
export const MAX_URL_CHARS = 8000;
/** What we allow ourselves: a margin under the 8,000 for proxies that count differently. */
export const URL_CHARS_BUDGET = 7500;

export interface ShardLimits {
  /** The stream base the URLs are built on (`wss://stream.binance.com:9443`). */
  baseUrl: string;
  /** At most this many streams on one connection (Binance: 1024). */
  maxStreams: number;
  /** @default URL_CHARS_BUDGET */
  maxUrlChars?: number;
}

/**
 * Spreads `streams` over as few connections as the limits allow, in the order given:
 * each group has at most `maxStreams` streams and a combined-stream URL under
 * `maxUrlChars`. Pure.
 */
export function shardStreams(streams: readonly StreamSpec[], limits: ShardLimits): StreamSpec[][] {
  return reshardStreams([], streams, limits);
}

/**
 * The groups after the wanted set changed (a listing, a retired symbol), disturbing as few
 * connections as possible: streams no longer wanted leave their group, groups keep their
 * order and members, new streams fill groups that have room (the first first) and then new
 * groups. A group left empty is dropped. Pure; callers compare groups to see which changed.
 */
export function reshardStreams(groups: readonly (readonly StreamSpec[])[], wanted: readonly StreamSpec[], limits: ShardLimits): StreamSpec[][] {
  const maxUrl = limits.maxUrlChars ?? URL_CHARS_BUDGET;
  const wantedNames = new Set(wanted.map(klineStreamName));
  const placed = new Set<string>();
  const out: { streams: StreamSpec[]; urlChars: number }[] = [];
  for (const group of groups) {
    const kept = group.filter((s) => {
      const name = klineStreamName(s);
      if (!wantedNames.has(name) || placed.has(name)) return false;
      placed.add(name);
      return true;
    });
    if (kept.length > 0) out.push({ streams: kept, urlChars: combinedStreamUrl(limits.baseUrl, kept).length });
  }
  const emptyUrl = combinedStreamUrl(limits.baseUrl, []).length;
  for (const spec of wanted) {
    const name = klineStreamName(spec);
    if (placed.has(name)) continue;
    placed.add(name);
    // One more stream adds its name and a "/" separator (none before the first).
    const cost = (group: { streams: StreamSpec[] }) => name.length + (group.streams.length > 0 ? 1 : 0);
    let target = out.find((g) => g.streams.length < limits.maxStreams && g.urlChars + cost(g) <= maxUrl);
    if (!target) {
      target = { streams: [], urlChars: emptyUrl };
      if (target.urlChars + cost(target) > maxUrl) throw new Error(`the stream ${name} alone makes a URL longer than ${maxUrl} characters`);
      out.push(target);
    }
    target.urlChars += cost(target);
    target.streams.push(spec);
  }
  return out.map((g) => g.streams);
}

/** The same streams in the same order (a connection whose URL would not change). */
export function sameStreams(a: readonly StreamSpec[], b: readonly StreamSpec[]): boolean {
  return a.length === b.length && a.every((s, i) => klineStreamName(s) === klineStreamName(b[i]!));
}
