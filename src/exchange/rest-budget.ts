import type { Clock } from "../clock.ts";

/** What the REST governor is doing, for the state file, the dashboard and the logs. */
export interface RestBudgetSnapshot {
  /** REQUEST_WEIGHT per minute, from exchangeInfo (6000 on spot today). */
  limitPerMinute: number;
  /** The share of it this process allows itself (80%, as weight per minute). */
  capPerMinute: number;
  /** Weight used in the current minute (ours, or the exchange's X-MBX-USED-WEIGHT-1M when higher). */
  usedThisMinute: number;
  /** Highest weight used in any one minute since start. */
  peakPerMinute: number;
  /** Requests waiting for the budget (backfills queued). */
  queued: number;
  inFlight: number;
  /** Requests granted since start. */
  granted: number;
  /** Every REST call waits until then (a 429's or 418's Retry-After); undefined when not paused. */
  pausedUntil: number | undefined;
  /** 429 and 418 answers seen since start. */
  rateLimited: number;
  banned: number;
}

/** Every REST answer seen, for `/metrics`. */
export interface RestAnswers {
  /** Answers by HTTP status ("200", "429"…), and "error" for requests that got none (network error, timeout). */
  byCode: ReadonlyMap<string, number>;
  /** The last X-MBX-USED-WEIGHT-1M seen (whatever minute it counted); undefined before the first. */
  lastUsedWeight: number | undefined;
}

/** Binance counts REQUEST_WEIGHT per fixed UTC minute. */
export const MINUTE_MS = 60_000;
/** REQUEST_WEIGHT per minute on spot today, until exchangeInfo says otherwise. */
export const DEFAULT_LIMIT_PER_MINUTE = 6000;
/** Other tools may share the IP: keep 20% of the budget for them. */
export const DEFAULT_SHARE = 0.8;
export const DEFAULT_MAX_IN_FLIGHT = 8;
/** A Date header further than this from our clock is not trusted to place an answer in a minute. */
const MAX_DATE_SKEW_MS = 30_000;

export interface RestBudgetOptions {
  clock: Clock;
  /** REQUEST_WEIGHT per minute. @default 6000 */
  limitPerMinute?: number;
  /** Share of the limit this process allows itself. @default 0.8 */
  share?: number;
  /** Requests sent at once. @default 8 */
  maxInFlight?: number;
}

export interface BudgetRequest {
  weight: number;
  /** Stream key, for round-robin fairness. */
  stream?: string;
  /** Open time of the oldest candle this request repairs: older holes go first. */
  holeFrom?: number;
  signal?: AbortSignal;
}

export interface RestBudget {
  /**
   * Resolves when the request may be sent (weight reserved in the current minute, an
   * in-flight slot taken); rejects with the signal's reason if it aborts while queued.
   * Call the returned release() (idempotent) when the answer (or error) is in.
   */
  acquire(request: BudgetRequest): Promise<() => void>;
  /** Reads X-MBX-USED-WEIGHT-1M of an answer (any case) and, given its HTTP status, counts the answer. */
  observe(headers: Headers, status?: number): void;
  /** A request that got no answer (a network error, a timeout): counted under "error". */
  failed(): void;
  /** A 429 or 418: every request waits until retryAfterMs has passed. */
  pause(retryAfterMs: number, status: 429 | 418): void;
  /** A new budget from exchangeInfo. */
  setLimit(limitPerMinute: number): void;
  snapshot(): RestBudgetSnapshot;
  answers(): RestAnswers;
}

/**
 * The one door for every REST call of the process (Binance's weight budget is per IP).
 * Accounting is by fixed UTC minute, like Binance's: a request is granted when the weight
 * used this minute plus its own fits in floor(share * limit), no 429/418 pause is active
 * and fewer than maxInFlight are out. Used = max(what we granted this minute, the highest
 * X-MBX-USED-WEIGHT-1M seen this minute + what we granted since). Waiters are served
 * round-robin across streams, then oldest hole first, then in arrival order; the head
 * waits rather than being overtaken by a lighter request, so a heavy one is never starved.
 */
export function createRestBudget(options: RestBudgetOptions): RestBudget {
  const { clock } = options;
  const s = _initialState(options);
  const queue: _Waiter[] = [];
  let seq = 0;
  let timer: { at: number; cancel: () => void } | undefined;
  const byCode = new Map<string, number>();
  const count = (code: string) => byCode.set(code, (byCode.get(code) ?? 0) + 1);

  const arm = (at: number | undefined) => {
    if (timer?.at === at) return;
    timer?.cancel();
    timer = undefined;
    if (at === undefined) return;
    const cancel = clock.setTimeout(() => {
      timer = undefined;
      pump();
    }, at - clock.now());
    timer = { at, cancel };
  };

  const pump = () => {
    const now = clock.now();
    _roll(s, now);
    for (;;) {
      const next = _pickNext(queue, s.streamGrants);
      if (!next) return arm(undefined);
      const verdict = _verdict(s, next.request.weight, now);
      if (verdict !== "grant") return arm(verdict === "in-flight" ? undefined : verdict);
      queue.splice(queue.indexOf(next), 1);
      _grant(s, next.request);
      next.grant();
      if (queue.length === 0) s.streamGrants.clear();
    }
  };

  const release = (weight: number) => {
    s.inFlight--;
    s.inFlightWeight -= weight;
    pump();
  };

  return {
    acquire(request) {
      return new Promise((resolve, reject) => {
        const { signal } = request;
        if (!(request.weight > 0 && Number.isFinite(request.weight))) return reject(new RangeError(`REST weight must be a positive number, not ${request.weight}`));
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at < 0) return;
          queue.splice(at, 1);
          if (queue.length === 0) s.streamGrants.clear();
          reject(signal?.reason);
          pump();
        };
        const waiter: _Waiter = {
          request,
          seq: seq++,
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            let released = false;
            resolve(() => {
              if (released) return;
              released = true;
              release(request.weight);
            });
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
    observe(headers, status) {
      if (status !== undefined) count(String(status));
      _observe(s, headers, clock.now());
    },
    failed() {
      count("error");
    },
    pause(retryAfterMs, status) {
      s.pausedUntil = Math.max(s.pausedUntil ?? 0, clock.now() + Math.max(0, retryAfterMs));
      if (status === 418) s.banned++;
      else s.rateLimited++;
      pump();
    },
    setLimit(limitPerMinute) {
      if (!(limitPerMinute >= 1 && Number.isFinite(limitPerMinute))) throw new RangeError(`REST weight limit must be a positive number, not ${limitPerMinute}`);
      s.limit = limitPerMinute;
      pump();
    },
    snapshot() {
      const now = clock.now();
      _roll(s, now);
      return {
        limitPerMinute: s.limit,
        capPerMinute: _cap(s),
        usedThisMinute: _used(s),
        peakPerMinute: s.peak,
        queued: queue.length,
        inFlight: s.inFlight,
        granted: s.granted,
        pausedUntil: s.pausedUntil !== undefined && s.pausedUntil > now ? s.pausedUntil : undefined,
        rateLimited: s.rateLimited,
        banned: s.banned,
      };
    },
    answers: () => ({ byCode, lastUsedWeight: s.lastUsedWeight }),
  };
}

// --- internal ---

interface _State {
  limit: number;
  share: number;
  maxInFlight: number;
  /** floor(now / MINUTE_MS) of the counters below. */
  minute: number;
  grantedThisMinute: number;
  /** Highest X-MBX-USED-WEIGHT-1M seen this minute. */
  observedThisMinute: number;
  /** Weight granted (or still in flight) since that header: the exchange had not counted it yet. */
  sinceObserved: number;
  inFlight: number;
  inFlightWeight: number;
  peak: number;
  granted: number;
  pausedUntil: number | undefined;
  rateLimited: number;
  banned: number;
  /** The last X-MBX-USED-WEIGHT-1M seen, for `/metrics`. */
  lastUsedWeight: number | undefined;
  /** Grants per stream since the queue was last empty (round-robin). */
  streamGrants: Map<string, number>;
}

interface _Waiter {
  request: BudgetRequest;
  seq: number;
  grant: () => void;
}

function _initialState(options: RestBudgetOptions): _State {
  return {
    limit: options.limitPerMinute ?? DEFAULT_LIMIT_PER_MINUTE,
    share: options.share ?? DEFAULT_SHARE,
    maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    minute: Math.floor(options.clock.now() / MINUTE_MS),
    grantedThisMinute: 0,
    observedThisMinute: 0,
    sinceObserved: 0,
    inFlight: 0,
    inFlightWeight: 0,
    peak: 0,
    granted: 0,
    pausedUntil: undefined,
    rateLimited: 0,
    banned: 0,
    lastUsedWeight: undefined,
    streamGrants: new Map(),
  };
}

function _cap(s: _State): number {
  return Math.floor(s.share * s.limit);
}

function _used(s: _State): number {
  return Math.max(s.grantedThisMinute, s.observedThisMinute > 0 ? s.observedThisMinute + s.sinceObserved : 0);
}

/** Starts the counters of a new UTC minute. */
function _roll(s: _State, now: number): void {
  const minute = Math.floor(now / MINUTE_MS);
  if (minute === s.minute) return;
  s.minute = minute;
  s.grantedThisMinute = 0;
  s.observedThisMinute = 0;
  s.sinceObserved = 0;
}

/**
 * "grant", "in-flight" (a release wakes it) or the time to look again (a pause's end, the
 * next minute). A request heavier than the whole cap goes alone at the start of a minute.
 */
function _verdict(s: _State, weight: number, now: number): "grant" | "in-flight" | number {
  if (s.pausedUntil !== undefined && now < s.pausedUntil) return s.pausedUntil;
  if (s.inFlight >= s.maxInFlight) return "in-flight";
  const cap = _cap(s);
  if (_used(s) + Math.min(weight, cap) > cap) return (s.minute + 1) * MINUTE_MS;
  return "grant";
}

function _grant(s: _State, request: BudgetRequest): void {
  const key = request.stream ?? "";
  s.streamGrants.set(key, (s.streamGrants.get(key) ?? 0) + 1);
  s.grantedThisMinute += request.weight;
  s.sinceObserved += request.weight;
  s.inFlight++;
  s.inFlightWeight += request.weight;
  s.granted++;
  s.peak = Math.max(s.peak, _used(s));
}

/** The waiter whose stream was granted least, then the oldest hole, then the first come. */
function _pickNext(queue: readonly _Waiter[], streamGrants: ReadonlyMap<string, number>): _Waiter | undefined {
  let best: _Waiter | undefined;
  let bestKey: [number, number, number] | undefined;
  for (const w of queue) {
    const key: [number, number, number] = [streamGrants.get(w.request.stream ?? "") ?? 0, w.request.holeFrom ?? Infinity, w.seq];
    if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] || (key[1] === bestKey[1] && key[2] < bestKey[2])))) {
      best = w;
      bestKey = key;
    }
  }
  return best;
}

/**
 * Counts an answer's X-MBX-USED-WEIGHT-1M in this minute. An answer whose Date says the
 * server was still in the previous minute (a request sent at 59.9 s) reports that minute's
 * weight, not this one's. Requests still in flight may not be in the header yet: they stay counted.
 */
function _observe(s: _State, headers: Headers, now: number): void {
  const value = Number(headers.get("x-mbx-used-weight-1m") ?? NaN);
  if (!Number.isFinite(value) || value < 0) return;
  s.lastUsedWeight = value;
  _roll(s, now);
  const date = Date.parse(headers.get("date") ?? "");
  if (Number.isFinite(date) && Math.abs(date - now) < MAX_DATE_SKEW_MS && Math.floor(date / MINUTE_MS) < s.minute) return;
  if (value <= s.observedThisMinute) return;
  s.observedThisMinute = value;
  s.sinceObserved = s.inFlightWeight;
  s.peak = Math.max(s.peak, _used(s));
}
