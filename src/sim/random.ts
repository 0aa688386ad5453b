/**
 * Stateless pseudo-randomness: every value is a hash of its coordinates, so any candle
 * can be computed on its own, in any order, by anyone holding the seed.
 */

/** A 32-bit hash of any number of integers (murmur3's finalizer after each word). */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = hashStep(h, part);
  return h;
}

/**
 * One more word into a hash: `hashStep(hash32(...parts), x) === hash32(...parts, x)`, so
 * a hot loop can hash its fixed prefix once.
 */
export function hashStep(state: number, part: number): number {
  const lo = part >>> 0;
  const hi = Math.floor(part / 4_294_967_296) >>> 0;
  return _fmix((_fmix(state ^ lo) + 0x7f4a7c15) ^ hi);
}

/** A number in [0, 1) from the coordinates. */
export function hash01(...parts: number[]): number {
  return hash32(...parts) / 4_294_967_296;
}

/** A stable 32-bit code for a text (a symbol). */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return _fmix(h);
}

/**
 * Smooth value noise in [0, 1] at position `x`: random values on the integers, joined
 * by smoothstep, whose slope never exceeds 1.5 per unit of `x`.
 */
export function valueNoise(x: number, ...key: number[]): number {
  return valueNoiseAt(hash32(...key), x);
}

/** `valueNoise(x, ...key)` from `state = hash32(...key)`, for hot loops. */
export function valueNoiseAt(state: number, x: number): number {
  const i = Math.floor(x);
  const f = x - i;
  const a = hashStep(state, i) / 4_294_967_296;
  const b = hashStep(state, i + 1) / 4_294_967_296;
  return a + (b - a) * f * f * (3 - 2 * f);
}

// --- internal ---

function _fmix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
