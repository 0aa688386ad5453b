import { INTERVALS, nextOpenTime, type Interval } from "../time/intervals.ts";
import { binanceDecimal, formatDecimal, fractionOf, parseDecimal, type Decimal } from "./decimal.ts";
import { hash01, hash32, hashStep, hashText, valueNoiseAt } from "./random.ts";
import { symbolProfile, type SymbolProfile } from "./symbols.ts";

/**
 * One simulated kline: the fields Binance's REST row and stream event carry, decimals
 * as Binance writes them (strings with 8 decimals), plus the trade id range.
 */
export interface SimKline {
  symbol: string;
  interval: Interval;
  openTime: number;
  /** Normally the next open time - 1. */
  closeTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  trades: number;
  takerBuyBase: string;
  takerBuyQuote: string;
  firstTradeId: number;
  lastTradeId: number;
}

/**
 * The truth: the final values of the candle opening at `openTime`, a pure function of
 * (seed, symbol, interval, openTime). The price is a multi-scale random walk that any
 * instant can be evaluated at, so a candle's close is the next candle's open and every
 * interval sees the same market.
 */
export function simulatedKline(seed: number, symbol: string, interval: Interval, openTime: number): SimKline {
  const { profile, key, priceStates, tradeStates } = _symbolNoise(seed, symbol);
  const end = nextOpenTime(interval, openTime);
  const tick = 10 ** profile.priceDecimals;
  const priceTicks = (t: number) => Math.max(1, Math.round(_priceAt(profile, priceStates, t) * tick));
  const open = priceTicks(openTime);
  const close = priceTicks(end);
  const inner = [1, 2, 3].map((k) => priceTicks(openTime + ((end - openTime) * k) / 4));
  const wiggle = open * 0.0004 * Math.sqrt((end - openTime) / 60_000);
  const salt = hash32(...key, INTERVALS.indexOf(interval), openTime);
  const noise = (k: number) => hashStep(salt, k) / 4_294_967_296;
  const high = Math.max(open, close, ...inner) + Math.round(noise(1) * wiggle);
  const low = Math.max(1, Math.min(open, close, ...inner) - Math.round(noise(2) * wiggle));
  const firstTradeId = _tradeCount(profile, tradeStates, openTime);
  const trades = _tradeCount(profile, tradeStates, end) - firstTradeId;
  const volume = Math.max(trades, Math.round(trades * profile.tradeSize * (0.5 + noise(3)) * 10 ** profile.qtyDecimals));
  const takerBase = Math.round(volume * (0.35 + 0.3 * noise(4)));
  const vwap = BigInt(Math.round((open + high + low + close) / 4));
  const quoteScale = profile.qtyDecimals + profile.priceDecimals;
  return {
    symbol,
    interval,
    openTime,
    closeTime: end - 1,
    open: binanceDecimal(open, profile.priceDecimals),
    high: binanceDecimal(high, profile.priceDecimals),
    low: binanceDecimal(low, profile.priceDecimals),
    close: binanceDecimal(close, profile.priceDecimals),
    volume: binanceDecimal(volume, profile.qtyDecimals),
    quoteVolume: binanceDecimal(BigInt(volume) * vwap, quoteScale),
    trades,
    takerBuyBase: binanceDecimal(takerBase, profile.qtyDecimals),
    takerBuyQuote: binanceDecimal(BigInt(takerBase) * vwap, quoteScale),
    firstTradeId,
    lastTradeId: firstTradeId + trades - 1,
  };
}

/**
 * The candle as it stands at `now`, before its close: open as final, high and low
 * widening towards the final ones, close wandering between them, volumes and trades
 * growing with elapsed time. At the close it equals `final`. Pure.
 */
export function liveKline(final: SimKline, now: number): SimKline {
  const end = final.closeTime + 1;
  const elapsed = Math.min(1, Math.max(0, (now - final.openTime) / Math.max(1, end - final.openTime)));
  if (elapsed >= 1) return final;
  const { open, high, low, close, tick, volumes } = _prepared(final);
  const spread = Math.sqrt(elapsed) * 1_000_000;
  const liveHigh = _floor(open.units + fractionOf({ units: high.units - open.units, scale: 0 }, spread).units, tick);
  const liveLow = _ceil(open.units - fractionOf({ units: open.units - low.units, scale: 0 }, spread).units, tick);
  const drift = open.units + fractionOf({ units: close.units - open.units, scale: 0 }, elapsed * 1_000_000).units;
  const wobble = fractionOf({ units: liveHigh - liveLow, scale: 0 }, (hash01(final.openTime, now) - 0.5) * (1 - elapsed) * 1_000_000).units;
  const liveClose = _clamp(_floor(drift + wobble, tick), liveLow, liveHigh);
  const trades = Math.floor(final.trades * elapsed);
  const share = final.trades > 0 ? (trades / final.trades) * 1_000_000 : 0;
  const [volume, quoteVolume, takerBuyBase, takerBuyQuote] = volumes.map(([total, grid]) => {
    const value = fractionOf(total, share);
    return formatDecimal({ units: _floor(value.units, grid), scale: value.scale });
  }) as [string, string, string, string];
  return {
    ...final,
    high: formatDecimal({ units: liveHigh, scale: open.scale }),
    low: formatDecimal({ units: liveLow, scale: open.scale }),
    close: formatDecimal({ units: liveClose, scale: open.scale }),
    volume,
    quoteVolume,
    trades,
    takerBuyBase,
    takerBuyQuote,
    lastTradeId: final.firstTradeId + trades - 1,
  };
}

/**
 * Trades executed on `profile` before `t`: a steady rate plus two slow noise layers whose
 * slopes stay under half the rate, so the count never decreases and a second never lacks
 * a trade. Trade ids are this counter, so they run on across candles and intervals.
 */
export function tradeCounter(profile: SymbolProfile, key: number[], t: number): number {
  return _tradeCount(profile, TRADE_LAYERS.map(([, layer]) => hash32(...key, layer)), t);
}

// --- internal ---

/** Price walk layers: [scale ms, relative amplitude], from seconds to months. */
const PRICE_LAYERS: [number, number][] = [
  [2_000, 0.00008],
  [15_000, 0.0003],
  [300_000, 0.0012],
  [3_600_000, 0.004],
  [43_200_000, 0.015],
  [604_800_000, 0.05],
  [5_184_000_000, 0.15],
];

const TRADE_LAYERS: [number, number][] = [
  [60_000, 101],
  [3_600_000, 102],
];

/** A symbol's profile and the hash states of its noise layers, computed once per seed and symbol. */
interface SymbolNoise {
  profile: SymbolProfile;
  key: number[];
  /** hash32(...key, layer) for each PRICE_LAYERS entry. */
  priceStates: number[];
  /** hash32(...key, layer) for each TRADE_LAYERS entry. */
  tradeStates: number[];
}

const NOISE_CACHE_MAX = 50_000;
const noiseCache = new Map<string, SymbolNoise>();

function _symbolNoise(seed: number, symbol: string): SymbolNoise {
  const id = `${seed}|${symbol}`;
  let noise = noiseCache.get(id);
  if (noise) return noise;
  if (noiseCache.size >= NOISE_CACHE_MAX) noiseCache.clear();
  const key = [seed, hashText(symbol)];
  noise = {
    profile: symbolProfile(symbol),
    key,
    priceStates: PRICE_LAYERS.map((_, layer) => hash32(...key, layer)),
    tradeStates: TRADE_LAYERS.map(([, layer]) => hash32(...key, layer)),
  };
  noiseCache.set(id, noise);
  return noise;
}

function _priceAt(profile: SymbolProfile, states: number[], t: number): number {
  let walk = 0;
  for (let layer = 0; layer < PRICE_LAYERS.length; layer++) {
    const [scaleMs, amplitude] = PRICE_LAYERS[layer]!;
    walk += amplitude * (2 * valueNoiseAt(states[layer]!, t / scaleMs) - 1);
  }
  return profile.price * (1 + walk);
}

function _tradeCount(profile: SymbolProfile, states: number[], t: number): number {
  const perMs = profile.tradesPerSecond / 1000;
  let count = perMs * t;
  for (let i = 0; i < TRADE_LAYERS.length; i++) count += ((perMs * TRADE_LAYERS[i]![0]) / 6) * valueNoiseAt(states[i]!, t / TRADE_LAYERS[i]![0]);
  return Math.floor(count);
}

/** A final candle's values as decimals, and their grids, parsed once per candle (a live stream asks every update). */
interface Prepared {
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  /** The price tick the final values sit on. */
  tick: bigint;
  /** volume, quoteVolume, takerBuyBase, takerBuyQuote with the step each live value keeps to. */
  volumes: [Decimal, bigint][];
}

const preparedCache = new WeakMap<SimKline, Prepared>();

function _prepared(final: SimKline): Prepared {
  const hit = preparedCache.get(final);
  if (hit) return hit;
  const open = _decimal(final.open);
  const [high, low, close] = [final.high, final.low, final.close].map((x) => _decimal(x, open.scale)) as [Decimal, Decimal, Decimal];
  // Live values stay on the grid the final values use (the tick, the lot step).
  const tick = _gridOf([final.open, final.high, final.low, final.close], open.scale);
  const lot = (d: Decimal) => _gridOf([final.volume, final.takerBuyBase], d.scale);
  const volumes = [final.volume, final.quoteVolume, final.takerBuyBase, final.takerBuyQuote].map((text, i): [Decimal, bigint] => {
    const total = _decimal(text);
    return [total, i % 2 === 0 ? lot(total) : 1n];
  });
  const prepared = { open, high, low, close, tick, volumes };
  preparedCache.set(final, prepared);
  return prepared;
}

function _decimal(text: string, scale?: number): Decimal {
  const value = parseDecimal(text) ?? { units: 0n, scale: 0 };
  if (scale === undefined || scale === value.scale) return value;
  const factor = 10n ** BigInt(Math.abs(scale - value.scale));
  return scale > value.scale ? { units: value.units * factor, scale } : { units: value.units / factor, scale };
}

/** The coarsest step (in units of 10^-scale) that every value in `texts` sits on. */
function _gridOf(texts: string[], scale: number): bigint {
  const decimals = Math.max(0, ...texts.map((t) => (t.split(".")[1] ?? "").replace(/0+$/, "").length));
  return 10n ** BigInt(Math.max(0, scale - decimals));
}

function _floor(value: bigint, step: bigint): bigint {
  const rest = ((value % step) + step) % step;
  return value - rest;
}

function _ceil(value: bigint, step: bigint): bigint {
  const floor = _floor(value, step);
  return floor === value ? value : floor + step;
}

function _clamp(value: bigint, min: bigint, max: bigint): bigint {
  return value < min ? min : value > max ? max : value;
}
