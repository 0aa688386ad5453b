import type { Clock } from "../clock.ts";
import { errorMessage } from "../errors.ts";
import { writeState, type RecorderState } from "./state-file.ts";

export interface HeartbeatOptions {
  path: string;
  clock: Clock;
  /** resilience.heartbeat.interval @default 5000 */
  intervalMs: number;
  build(): RecorderState;
  /** A failing write is reported once per episode, never thrown. */
  onError?(message: string): void;
  onRecovered?(): void;
  /** A change is written this long after it at most (changes in between share the write). @default 50 */
  touchDelayMs?: number;
}

export interface Heartbeat {
  /** A state change: write soon (coalesced), not on every message. */
  touch(): void;
  /** Writes now and stops the timer. */
  stop(): void;
}

/** Coalesces bursts of state changes (a backfill of 1000 rows) into one write. */
const TOUCH_DELAY_MS = 50;

/** Past this many streams, state changes are written at most once a second. */
const MANY_STREAMS = 100;

/**
 * How soon a state change is written for a recorder of `streams` streams: at once (50 ms)
 * for a few; once a second for hundreds, whose state file is large and changes many times
 * a second (a write is an fsync on the main thread, not to be repeated through a minute burst).
 */
export function stateTouchDelayMs(streams: number): number {
  return streams > MANY_STREAMS ? 1000 : TOUCH_DELAY_MS;
}

/** Writes the state file every `intervalMs` and shortly after every state change. */
export function createHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { clock } = options;
  let cancelBeat: (() => void) | undefined;
  let cancelTouch: (() => void) | undefined;
  let failing = false;
  let stopped = false;

  function write(): void {
    try {
      writeState(options.path, options.build());
      if (failing) {
        failing = false;
        options.onRecovered?.();
      }
    } catch (err) {
      if (!failing) options.onError?.(`cannot write state file ${options.path}: ${errorMessage(err)}`);
      failing = true;
    }
  }

  function beat(): void {
    if (stopped) return;
    write();
    cancelBeat = clock.setTimeout(beat, options.intervalMs);
  }

  beat();
  return {
    touch() {
      if (stopped || cancelTouch) return;
      cancelTouch = clock.setTimeout(() => {
        cancelTouch = undefined;
        write();
      }, options.touchDelayMs ?? TOUCH_DELAY_MS);
    },
    stop() {
      stopped = true;
      cancelBeat?.();
      cancelTouch?.();
      write();
    },
  };
}
