import type { Clock } from "../clock.ts";
import { UserError } from "../errors.ts";
import { formatDuration, parseDuration } from "../time/duration.ts";
import { parseStreamName } from "./streams.ts";
import { SYMBOL_PATTERN } from "./symbols.ts";

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
  | { kind: "rest5xx"; count: number }
  /** A new TRADING symbol (a generated USDT name when none is given). */
  | { kind: "listing"; symbol?: string }
  /** A TRADING symbol becomes HALT (a USDT one that is not the first when none is given). */
  | { kind: "halt"; symbol?: string }
  /** A HALT symbol trades again (the last one halted when none is given). */
  | { kind: "resume"; symbol?: string }
  /** One stream stops on the connections open now (one of the subscribed ones when none is given). */
  | { kind: "silent"; stream?: string };

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
  "  listing[:SYM] a new TRADING symbol (default: a new generated USDT name, XXXUSD_PERP on coinm); its first candle is the one",
  "                containing AT, unknown (-1121) before",
  "  halt[:SYM]    SYM becomes HALT (default: a USDT symbol, USD on coinm, not the first): candles opening at or after AT do not exist",
  "  resume[:SYM]  SYM trades again (default: the last one halted); candles exist again from the one containing AT",
  "  silent[:STR]  stream STR (e.g. ethusdt@kline_1m; default: one of the subscribed) stops on the connections open now; a new",
  "                connection or a new SUBSCRIBE to it delivers it again",
  "The symbol or stream picked is logged. Limits are always on (a warning line each): URL over 8000 chars 414, over 1024",
  "streams 400 (or error + close 1008 by SUBSCRIBE), over 300 connection attempts in 5 min 429, over 5 messages/s (10 on futures) close 1008,",
  "REST weight over --rest-weight a minute 429 + Retry-After, then any request before it 418 (a 2 min ban). GET /sim/stats counts them.",
  "Example: drop@30s,stall:10s@1m,refuse:20s@2m,close:1008@3m,skipclose@4m,dupclose@5m,garbage@6m,rest429:3@7m,rest5xx:2@7m30s,shutdown@8m,every:10m",
  "         listing@1m,halt:ETHUSDT@2m,resume:ETHUSDT@4m,silent:btcusdt@kline_1m@5m",
].join("\n");

const FAULT_KINDS = ["drop", "close", "stall", "refuse", "skipclose", "dupclose", "garbage", "shutdown", "rest429", "rest5xx", "listing", "halt", "resume", "silent"] as const;

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
    case "listing":
    case "halt":
    case "resume":
      return fault.symbol === undefined ? fault.kind : `${fault.kind}:${fault.symbol}`;
    case "silent":
      return fault.stream === undefined ? fault.kind : `silent:${fault.stream}`;
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
  if (arg === "") throw _bad(item, `${kindText} has an empty argument`);
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
    case "listing":
    case "halt":
    case "resume": {
      if (arg === undefined) return { kind };
      const symbol = arg.toUpperCase();
      if (!SYMBOL_PATTERN.test(symbol)) throw _bad(item, `"${arg}" is not a symbol; write ${kind}:ETHUSDT@1m`);
      return { kind, symbol };
    }
    case "silent":
      if (arg === undefined) return { kind };
      if (!parseStreamName(arg)) throw _bad(item, `"${arg}" is not a kline stream; write silent:ethusdt@kline_1m@1m`);
      return { kind, stream: arg };
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
