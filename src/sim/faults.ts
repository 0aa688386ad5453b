import type { Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import { formatDuration, parseDuration } from "../time/duration.ts";

/** A fault the simulator can inject. Stream faults hit every connection open at that moment. */
export type Fault =
  | { kind: "drop" }
  | { kind: "close"; code: number; reason?: string }
  | { kind: "stall"; ms: number }
  | { kind: "refuse"; ms: number }
  | { kind: "skipclose" }
  | { kind: "dupclose" }
  | { kind: "garbage" }
  | { kind: "shutdown" }
  | { kind: "rest429"; count: number }
  | { kind: "rest5xx"; count: number };

export type FaultKind = Fault["kind"];

export interface ScheduledFault {
  fault: Fault;
  /** Time from the simulator's start, ms. */
  atMs: number;
}

export interface FaultSchedule {
  /** In time order. */
  items: ScheduledFault[];
  /** Repeat the whole schedule every this many ms (`every:D`); undefined = once. */
  everyMs?: number;
}

/** The grammar, for `--help`. */
export const FAULTS_HELP = [
  "--faults SPEC: a comma list of KIND[:ARG]@AT, AT counted from the start (30s, 2m, 1h30m), plus an optional every:D that repeats the schedule every D.",
  "  drop          terminate every open connection (no close frame: 1006)",
  "  close:CODE    close every open connection with CODE (e.g. 1008)",
  "  stall:DUR     send nothing at all (no data, no pings) on the open connections for DUR",
  "  refuse:DUR    refuse new WebSocket connections (HTTP 503) for DUR",
  "  skipclose     the next closing (x:true) event of each stream is not sent",
  "  dupclose      the next closing (x:true) event of each stream is sent twice",
  "  garbage       send a frame that is not JSON and one that is not a valid kline",
  "  shutdown      send serverShutdown, then close 1 s later",
  "  rest429:N     the next N REST requests get 429 with Retry-After: 1",
  "  rest5xx:N     the next N REST requests get 500, 502, 503",
  "Example: drop@30s,stall:10s@1m,refuse:20s@2m,close:1008@3m,skipclose@4m,dupclose@5m,garbage@6m,rest429:3@7m,rest5xx:2@7m30s,shutdown@8m,every:10m",
].join("\n");

const FAULT_KINDS = ["drop", "close", "stall", "refuse", "skipclose", "dupclose", "garbage", "shutdown", "rest429", "rest5xx"] as const;

/**
 * Parses `drop@30s,stall:10s@1m,close:1008@3m,rest429:3@7m,every:10m`. A bad item is a
 * UserError that names it. Pure.
 */
export function parseFaults(spec: string): FaultSchedule {
  const items: ScheduledFault[] = [];
  let everyMs: number | undefined;
  for (const text of spec.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const every = /^every:(.+)$/i.exec(text);
    if (every) {
      everyMs = _duration(every[1]!, text);
      if (everyMs <= 0) throw _bad(text, "every needs a duration above 0");
      continue;
    }
    const at = text.lastIndexOf("@");
    if (at < 0) throw _bad(text, "it needs a time, like drop@30s");
    items.push({ fault: _fault(text.slice(0, at), text), atMs: _duration(text.slice(at + 1), text) });
  }
  if (items.length === 0) throw new UserError(`--faults: "${spec}" schedules no fault; write KIND[:ARG]@AT items like drop@30s,stall:10s@1m`);
  items.sort((a, b) => a.atMs - b.atMs);
  const last = items[items.length - 1]!;
  if (everyMs !== undefined && last.atMs >= everyMs) {
    throw new UserError(`--faults: every:${formatDuration(everyMs)} is not after the last fault (${describeFault(last.fault)}@${formatDuration(last.atMs)}); make it longer`);
  }
  return everyMs === undefined ? { items } : { items, everyMs };
}

/** `stall:10s`, `close:1008`, `drop`: a fault as the grammar writes it. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "close":
      return `close:${fault.code}`;
    case "stall":
    case "refuse":
      return `${fault.kind}:${formatDuration(fault.ms)}`;
    case "rest429":
    case "rest5xx":
      return `${fault.kind}:${fault.count}`;
    default:
      return fault.kind;
  }
}

export interface FaultSchedulerOptions {
  schedule: FaultSchedule;
  clock: Clock;
  /** Called for each fault when its time comes. */
  fire: (fault: Fault) => void;
}

/** Fires a schedule on `clock`, counting from now; `stop()` cancels what is left. */
export function createFaultScheduler(options: FaultSchedulerOptions): { stop(): void } {
  const { schedule, clock, fire } = options;
  const start = clock.now();
  let index = 0;
  let round = 0;
  let cancel: (() => void) | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    if (index >= schedule.items.length) {
      if (schedule.everyMs === undefined) return;
      index = 0;
      round++;
    }
    const item = schedule.items[index]!;
    const due = start + round * (schedule.everyMs ?? 0) + item.atMs;
    cancel = clock.setTimeout(() => {
      index++;
      fire(item.fault);
      arm();
    }, due - clock.now());
  };
  arm();
  return {
    stop() {
      stopped = true;
      cancel?.();
    },
  };
}

// --- internal ---

function _fault(head: string, item: string): Fault {
  const [kindText = "", arg, extra] = head.split(":");
  const kind = kindText.toLowerCase() as FaultKind;
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw _bad(item, `unknown fault "${kindText}"`);
  if (extra !== undefined) throw _bad(item, "one argument at most");
  switch (kind) {
    case "close": {
      const code = Number(arg ?? "1000");
      if (!Number.isInteger(code) || !_sendableCloseCode(code)) throw _bad(item, "close needs a code a server may send (1000-1003, 1007-1014, 3000-4999), like close:1008");
      return { kind, code };
    }
    case "stall":
    case "refuse":
      if (arg === undefined) throw _bad(item, `${kind} needs a duration, like ${kind}:10s@1m`);
      return { kind, ms: _duration(arg, item) };
    case "rest429":
    case "rest5xx": {
      const count = Number(arg ?? "1");
      if (!Number.isInteger(count) || count < 1) throw _bad(item, `${kind} needs a count of requests, like ${kind}:3@1m`);
      return { kind, count };
    }
    default:
      if (arg !== undefined) throw _bad(item, `${kind} takes no argument`);
      return { kind };
  }
}

function _sendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function _duration(text: string, item: string): number {
  try {
    return parseDuration(text, "time");
  } catch {
    throw _bad(item, `"${text}" is not a duration (write 30s, 2m, 1h30m)`);
  }
}

function _bad(item: string, why: string): UserError {
  return new UserError(`--faults: bad item "${item}": ${why}; see 'resilience simulate --help'`);
}
