import { sleep, type Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import type { Candle } from "../candles/candle.ts";
import type { CandleWriter } from "../candles/writer.ts";
import { candleOpenAt, nextOpenTime, previousOpenTime, type Interval } from "../time/intervals.ts";
import { formatIsoSeconds } from "../time/timestamp.ts";
import type { ConflictRecord } from "../candles/conflict-log.ts";
import { rowOpenTime } from "../candles/csv.ts";
import { checkTail, inProgressTail, type TailVerdict } from "./tail-check.ts";
import { repairTail } from "./tail-repair.ts";

/** A missing close event is looked up over REST this long after the candle closed. */
const HEAL_GRACE_MS = 4000;
/** Stream candles wait this long at most for a hole before them to be repaired. */
export const HOLD_LIMIT_MS = 15 * 60_000;
const REST_LAG_RETRY_MS = [300, 700, 1500, 3000, 6000, 15_000];

export interface StreamRecorderOptions {
  symbol: string;
  interval: Interval;
  writer: CandleWriter;
  clock: Clock;
  /**
   * First open time to record when the CSV has no rows (`--since`). Undefined: the
   * candle the exchange's first message is about, i.e. the first to close after start-up
   * by the exchange's own clock.
   */
  startAt: number | undefined;
  /**
   * A listing: when the CSV has no rows, it starts with the exchange's first candle at or
   * after this time (asked over REST), not with the first live one. Wins over `startAt`.
   */
  firstFrom?: number;
  /** One page of closed candles from `from` on (REST, retried until `signal` aborts); `more` when another page follows. */
  fetchClosed(from: number, signal: AbortSignal, openFrom: number | undefined): Promise<{ candles: Candle[]; more: boolean }>;
  events: StreamEvents;
}

export interface StreamEvents {
  written?(candle: Candle, via: "stream" | "backfill"): void;
  backfilled?(candles: Candle[]): void;
  exchangeGap?(openTimes: number[]): void;
  /** REST could not repair a hole for HOLD_LIMIT_MS: rows after it were written anyway. */
  unrepaired?(from: number, to: number): void;
  /** The CSV's last row disagreed with the exchange and was taken out (kept in the conflict log). */
  conflict?(record: ConflictRecord, earlierDiffers: boolean): void;
  warn?(message: string): void;
}

export interface StreamRecorder {
  readonly symbol: string;
  readonly interval: Interval;
  /** Open time of the next candle the CSV needs (undefined until the first message of a fresh CSV). */
  readonly expectNext: number | undefined;
  readonly pending: number;
  readonly backfilling: boolean;
  /** A closed (x:true) candle from the stream. */
  onClosed(candle: Candle): "written" | "duplicate" | "held";
  /** An in-progress (x:false) update: on a fresh CSV, the first one says where to start. */
  onLive(candle: Candle): void;
  /** Fetch whatever closed since the last row (after a (re)connect, a hole, a missed close). */
  requestBackfill(reason: string): void;
  stop(): void;
}

/**
 * Keeps one CSV complete and in order: closed candles from the stream are written when
 * they are the next one; a candle after a hole is held until REST has filled the hole;
 * a candle whose close event never came is fetched over REST. Candles the exchange does
 * not have (REST has later ones) are exchange gaps, reported once and skipped.
 */
export function createStreamRecorder(options: StreamRecorderOptions): StreamRecorder {
  const { writer, clock, interval } = options;
  const events = options.events;
  const held = new Map<number, { candle: Candle; since: number }>();
  const stopper = new AbortController();
  // `let` narrowed through closures: read it as `expectNext!` only where it is known to be set.
  let expectNext: number | undefined = writer.lastOpenTime !== undefined ? nextOpenTime(interval, writer.lastOpenTime) : options.firstFrom !== undefined ? undefined : options.startAt;
  /** A listing's CSV waits for REST to say which candle is the first (see `firstFrom`). */
  let firstFrom: number | undefined = writer.lastOpenTime === undefined ? options.firstFrom : undefined;
  /** The newest candle the stream shows open (its in-progress updates, or the one after a close). */
  let liveOpen: number | undefined;
  let running = false;
  let again = false;
  let cancelHeal: (() => void) | undefined;
  /** Aborts the REST request in flight when the hold limit passes (REST may retry forever or hang). */
  let inFlight: AbortController | undefined;
  let cancelHoldLimit: (() => void) | undefined;
  /** The CSV's last rows at start-up, until the exchange has confirmed (or replaced) the newest. */
  let tailToVerify: string[] | undefined = writer.tailRows.length > 0 ? [...writer.tailRows] : undefined;

  function write(candle: Candle, via: "stream" | "backfill"): boolean {
    if (expectNext === undefined || candle.openTime < expectNext || stopper.signal.aborted) return false;
    const result = writer.append(candle);
    if (result === "duplicate" || result === "closed") return false;
    expectNext = nextOpenTime(interval, candle.openTime);
    events.written?.(candle, via);
    armHeal();
    return true;
  }

  function drainHeld(): void {
    for (;;) {
      if (expectNext === undefined) return;
      for (const t of held.keys()) if (t < expectNext) held.delete(t);
      const next = held.get(expectNext);
      if (!next) return;
      held.delete(expectNext);
      write(next.candle, "stream");
    }
  }

  /** When the candle we wait for should have closed, check REST if its close event is late. */
  function armHeal(): void {
    cancelHeal?.();
    if (expectNext === undefined) return;
    const closesAt = nextOpenTime(interval, expectNext);
    const waitFor = expectNext;
    cancelHeal = clock.setTimeout(() => {
      if (expectNext === waitFor && !stopper.signal.aborted) recorder.requestBackfill(`no close event for ${formatIsoSeconds(waitFor)}`);
    }, closesAt + HEAL_GRACE_MS - clock.now());
  }

  /** A candle held after a hole: the hold limit is a timer, so it fires whatever REST is doing. */
  function hold(candle: Candle): void {
    if (!held.has(candle.openTime)) held.set(candle.openTime, { candle, since: clock.now() });
    armHoldLimit();
  }

  function armHoldLimit(): void {
    if (cancelHoldLimit || held.size === 0) return;
    const oldest = Math.min(...[...held.values()].map((h) => h.since));
    cancelHoldLimit = clock.setTimeout(() => {
      cancelHoldLimit = undefined;
      if (releaseExpiredHold()) inFlight?.abort();
      armHoldLimit();
    }, oldest + HOLD_LIMIT_MS - clock.now());
  }

  /** Past the hold limit, the hole stays a hole: held candles are written after it, said loudly. */
  function releaseExpiredHold(): boolean {
    if (held.size === 0) return false;
    const oldest = Math.min(...[...held.values()].map((h) => h.since));
    if (clock.now() - oldest < HOLD_LIMIT_MS) return false;
    const first = Math.min(...held.keys());
    if (expectNext === undefined) firstFrom = undefined; // REST never said where the listing starts: from the stream, then
    else events.unrepaired?.(expectNext, first);
    expectNext = first;
    drainHeld();
    return true;
  }

  /** The open time to fetch from while the tail still needs the exchange's word, else undefined. */
  function tailFetchFrom(): number | undefined {
    if (!tailToVerify) return undefined;
    const newest = rowOpenTime(tailToVerify[tailToVerify.length - 1]!);
    if (newest === undefined || writer.lastOpenTime !== newest) {
      tailToVerify = undefined; // rows were written since: the old last row is history now
      return undefined;
    }
    return rowOpenTime(tailToVerify[0]!);
  }

  function settleTail(verdict: TailVerdict): void {
    const rows = tailToVerify ?? [];
    tailToVerify = undefined;
    if (verdict.kind === "agrees") return;
    if (verdict.kind === "unverified") return events.warn?.(`${writer.path}: the last row could not be checked against the exchange: ${verdict.why}`);
    const record = repairTail(writer, verdict, clock.now());
    if (!record) return;
    events.conflict?.(record, verdict.kind === "replace" && verdict.earlierDiffers);
    if (verdict.kind === "remove") {
      expectNext = verdict.openTime;
      // The row before becomes the last: it is checked in turn.
      if (rows.length > 1) tailToVerify = rows.slice(0, -1);
    }
  }

  async function backfillLoop(): Promise<void> {
    let lagTry = 0;
    while (!stopper.signal.aborted) {
      again = false;
      releaseExpiredHold();
      const lastClosed = previousOpenTime(interval, candleOpenAt(interval, clock.now()));
      const verifyFrom = tailFetchFrom();
      if (expectNext === undefined && firstFrom === undefined) return;
      if (expectNext !== undefined && expectNext > lastClosed && held.size === 0 && verifyFrom === undefined) return;
      let candles: Candle[];
      let more: boolean;
      const request = (inFlight = new AbortController());
      try {
        // A listing: from the candle containing `firstFrom` (REST serves candles opening at or after startTime).
        const from = verifyFrom ?? expectNext ?? candleOpenAt(interval, firstFrom!);
        ({ candles, more } = await options.fetchClosed(from, AbortSignal.any([stopper.signal, request.signal]), liveOpen));
      } catch (err) {
        if (stopper.signal.aborted) return;
        if (request.signal.aborted) continue; // the hold limit passed during the request
        events.warn?.(`backfill of ${options.symbol}@${interval} failed: ${errorMessage(err)}; retrying in 60s`);
        await sleep(clock, 60_000, AbortSignal.any([stopper.signal, request.signal]));
        continue;
      } finally {
        inFlight = undefined;
      }
      if (request.signal.aborted) continue;
      if (verifyFrom !== undefined && tailFetchFrom() === verifyFrom) settleTail(checkTail(tailToVerify!, candles));
      if (expectNext === undefined && firstFrom !== undefined && candles.length > 0) {
        // The listing's first candle on the exchange: the CSV starts there.
        expectNext = candles[0]!.openTime;
        firstFrom = undefined;
      }
      if (expectNext === undefined) {
        // REST has nothing yet (it lags a listing by a moment): ask again shortly; after
        // that, the stream's first close asks again.
        if (lagTry >= REST_LAG_RETRY_MS.length) return;
        await sleep(clock, REST_LAG_RETRY_MS[Math.min(lagTry++, REST_LAG_RETRY_MS.length - 1)]!, stopper.signal);
        continue;
      }      const written: Candle[] = [];
      for (const candle of candles) {
        if (candle.openTime < expectNext!) continue;
        if (candle.openTime > expectNext!) reportExchangeGap(expectNext!, candle.openTime);
        if (write(candle, "backfill")) written.push(candle);
      }
      if (written.length > 0) events.backfilled?.(written);
      drainHeld();
      // Page by page, so a long --since history never sits in memory whole.
      if (more && written.length > 0) continue;
      if (held.size === 0) {
        if (again) continue;
        // REST lags the stream by a moment: a candle that has closed may not be served yet.
        const stillMissing = expectNext! <= previousOpenTime(interval, candleOpenAt(interval, clock.now()));
        if (!stillMissing || lagTry >= REST_LAG_RETRY_MS.length) return;
        await sleep(clock, REST_LAG_RETRY_MS[lagTry++]!, stopper.signal);
        continue;
      }
      // Candles after a hole wait for REST to catch up (it lags the stream by a moment).
      if (releaseExpiredHold()) continue;
      await sleep(clock, REST_LAG_RETRY_MS[Math.min(lagTry++, REST_LAG_RETRY_MS.length - 1)]!, stopper.signal);
    }
  }

  function reportExchangeGap(from: number, to: number): void {
    const times: number[] = [];
    for (let t = from; t < to && times.length < 100_000; t = nextOpenTime(interval, t)) times.push(t);
    events.exchangeGap?.(times);
  }

  const recorder: StreamRecorder = {
    symbol: options.symbol,
    interval,
    get expectNext() {
      return expectNext;
    },
    get pending() {
      return held.size;
    },
    get backfilling() {
      return running;
    },
    onLive(candle) {
      if (liveOpen === undefined || candle.openTime > liveOpen) liveOpen = candle.openTime;
      if (expectNext !== undefined || firstFrom !== undefined) return;
      expectNext = candle.openTime;
      armHeal();
    },
    onClosed(candle) {
      const after = nextOpenTime(interval, candle.openTime);
      if (liveOpen === undefined || after > liveOpen) liveOpen = after;
      if (expectNext === undefined && firstFrom !== undefined) {
        hold(candle);
        recorder.requestBackfill("listing");
        return "held";
      }
      if (expectNext === undefined) expectNext = candle.openTime;
      if (candle.openTime < expectNext) return "duplicate";
      if (candle.openTime === expectNext) return write(candle, "stream") ? (drainHeld(), "written") : "duplicate";
      hold(candle);
      recorder.requestBackfill(`hole before ${formatIsoSeconds(candle.openTime)}`);
      return "held";
    },
    requestBackfill() {
      if (stopper.signal.aborted) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      backfillLoop()
        .catch((err) => events.warn?.(`backfill of ${options.symbol}@${interval} stopped: ${errorMessage(err)}`))
        .finally(() => {
          running = false;
        });
    },
    stop() {
      stopper.abort();
      cancelHeal?.();
      cancelHoldLimit?.();
    },
  };
  if (tailToVerify) {
    const verdict = inProgressTail(tailToVerify, interval, clock.now());
    if (verdict.kind === "remove") settleTail(verdict);
  }
  armHeal();
  return recorder;
}
