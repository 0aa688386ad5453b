import { systemClock, type Clock } from "../clock.ts";
import { onTerminalExit } from "./exit-hooks.ts";
import { flushPending, parseKeys, type Key } from "./keys.ts";

/** The part of `process.stdin` the reader uses. */
export interface KeyInput {
  isTTY?: boolean;
  isRaw?: boolean;
  /** Missing when stdin is not a terminal (Bun: `undefined` under nohup or `</dev/null`). */
  setRawMode?: (raw: boolean) => unknown;
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  off(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface KeyReaderOptions {
  /** Called once per key, in order. */
  onKey: (key: Key) => void;
  /** @default process.stdin */
  stdin?: KeyInput;
  /** @default systemClock */
  clock?: Clock;
  /** How long an ESC waits for the rest of its sequence before it counts as the Escape key. @default 50 */
  escapeTimeoutMs?: number;
}

export interface KeyReader {
  /** False when stdin is not a terminal: then no key is ever read and stdin is left alone. */
  readonly active: boolean;
  /** Stops reading and gives the terminal back its previous mode. Idempotent. */
  stop(): void;
}

/**
 * Reads keys from a terminal in raw mode (so Ctrl-C arrives as the key `ctrl-c`, not as
 * SIGINT). Without a TTY it is a no-op. The terminal's mode is restored by `stop()`,
 * and also on exit, crash or signal.
 */
export function createKeyReader(options: KeyReaderOptions): KeyReader {
  const stdin = options.stdin ?? (process.stdin as unknown as KeyInput);
  const clock = options.clock ?? systemClock;
  const escapeTimeoutMs = options.escapeTimeoutMs ?? 50;
  if (!stdin.isTTY || typeof stdin.setRawMode !== "function") return { active: false, stop() {} };

  const wasRaw = Boolean(stdin.isRaw);
  let pending = "";
  let cancelFlush: (() => void) | undefined;
  let stopped = false;

  const emit = (keys: Key[]) => {
    for (const key of keys) {
      if (stopped) return;
      options.onKey(key);
    }
  };
  const onData = (chunk: Buffer | string) => {
    cancelFlush?.();
    cancelFlush = undefined;
    const parsed = parseKeys(typeof chunk === "string" ? chunk : chunk.toString("latin1"), pending);
    pending = parsed.pending;
    if (pending) {
      cancelFlush = clock.setTimeout(() => {
        cancelFlush = undefined;
        const rest = pending;
        pending = "";
        emit(flushPending(rest));
      }, escapeTimeoutMs);
    }
    emit(parsed.keys);
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancelFlush?.();
    unregister();
    stdin.off("data", onData);
    try {
      stdin.setRawMode?.(wasRaw);
    } finally {
      // A paused stdin no longer keeps the process alive.
      stdin.pause();
    }
  };
  const unregister = onTerminalExit(stop);
  stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.resume();
  return {
    active: true,
    stop,
  };
}
