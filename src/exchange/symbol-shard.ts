/** `--shard K/N`: this recorder takes shard K (0-based) of N. */
export interface SymbolShard {
  index: number;
  count: number;
}

/**
 * The shard a symbol belongs to among `count`: FNV-1a (32-bit) of the upper-case
 * symbol's ASCII bytes (offset basis 2166136261, prime 16777619), modulo `count`.
 * Documented and fixed, so every host, version and language computes the same split:
 * FNV-1a 32 of "BTCUSDT" is 0xe82cd26c, so it is in shard 0 of 2 and 0 of 3.
 */
export function shardOf(symbol: string, count: number): number {
  let hash = 0x811c9dc5;
  const name = symbol.toUpperCase();
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i) & 0xff;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** The symbols of shard `shard` (all of them without a shard). */
export function inShard(symbols: readonly string[], shard: SymbolShard | undefined): string[] {
  return shard ? symbols.filter((s) => shardOf(s, shard.count) === shard.index) : [...symbols];
}
