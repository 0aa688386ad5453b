/**
 * Runs terminal-restoring callbacks however the process ends: a normal exit, a crash
 * (before the stack trace is printed, so it lands on the normal screen) or SIGINT,
 * SIGTERM, SIGHUP. A signal nobody else handles is raised again after the callbacks, so
 * it still ends the process as it would have; when the program handles it (a graceful
 * stop), the terminal is restored at once and the program carries on stopping.
 */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

const callbacks = new Set<() => void>();

/** Registers `restore` (synchronous, idempotent); returns a function that unregisters it. */
export function onTerminalExit(restore: () => void): () => void {
  if (callbacks.size === 0) _install();
  callbacks.add(restore);
  return () => {
    if (callbacks.delete(restore) && callbacks.size === 0) _uninstall();
  };
}

// --- internal ---

function _runAll(): void {
  for (const fn of [...callbacks]) {
    try {
      fn();
    } catch {
      // Restoring is best effort; one failure must not stop the others.
    }
  }
}

function _onSignal(signal: NodeJS.Signals): void {
  const alone = process.listenerCount(signal) === 1;
  _runAll();
  if (alone) {
    // Nobody else handles it: end the process the way the signal would have.
    _uninstall();
    process.kill(process.pid, signal);
  }
}

/** An uncaught exception ends the process only when nobody handles it (run logs and goes on). */
function _onCrash(): void {
  if (process.listenerCount("uncaughtException") === 0) _runAll();
}

function _install(): void {
  process.on("exit", _runAll);
  process.on("uncaughtExceptionMonitor", _onCrash);
  for (const signal of SIGNALS) process.on(signal, _onSignal);
}

function _uninstall(): void {
  process.off("exit", _runAll);
  process.off("uncaughtExceptionMonitor", _onCrash);
  for (const signal of SIGNALS) process.off(signal, _onSignal);
}
