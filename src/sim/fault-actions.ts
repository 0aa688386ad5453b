import type { Clock } from "../clock.ts";
import { applyStreamFault } from "./connection.ts";
import { describeFault, type Fault } from "./faults.ts";
import type { Market } from "./market.ts";
import { marketRules, type MarketRules } from "./market-rules.ts";
import type { Rest } from "./rest.ts";
import type { SimSocket } from "./sockets.ts";
import { createStatusControl, pickStream, type Outcome, type StatusControl } from "./status-control.ts";

export interface FaultActionsOptions {
  clock: Clock;
  /** Each fault fired, as `fault KIND[:TARGET] (N open connections)`. */
  log: (line: string) => void;
  rest: Rest;
  market: Market;
  seed: number;
  /** The connections open now (stream faults hit these). */
  open: ReadonlySet<SimSocket>;
  /** The Binance market served: default listings and halts follow its names. @default marketRules("spot") */
  rules?: MarketRules;
}

export interface FaultActions {
  /** Fires a fault now; returns the symbol or stream it acted on, for the kinds that pick one. */
  apply(fault: Fault): string | undefined;
  /** Faults fired so far, by kind. */
  counts(): Record<string, number>;
  /** New connections are refused until this time (`refuse`). */
  refuseUntil(): number;
}

/** Where every fault lands: the open connections, the REST queue, the market's symbol status. */
export function createFaultActions(options: FaultActionsOptions): FaultActions {
  const { clock, log, rest, open, seed } = options;
  const rules = options.rules ?? marketRules("spot");
  const status = createStatusControl({ market: options.market, clock, seed, venue: rules.market, mainQuote: rules.mainQuote });
  const counts: Record<string, number> = {};
  let refuseUntil = 0;
  let silences = 0;
  return {
    apply(fault) {
      counts[fault.kind] = (counts[fault.kind] ?? 0) + 1;
      const where = `(${open.size} open connection${open.size === 1 ? "" : "s"})`;
      const picked = _pick(fault, { status, open, seed, silences: () => silences++ });
      if (picked && "why" in picked) return void log(`fault ${fault.kind}: nothing done, ${picked.why} ${where}`);
      const done = picked ? _withTarget(fault, picked.target) : fault;
      log(`fault ${describeFault(done)} ${where}`);
      switch (done.kind) {
        case "refuse":
          refuseUntil = clock.now() + done.ms;
          break;
        case "rest429":
          rest.inject429(done.count);
          break;
        case "rest5xx":
          rest.inject5xx(done.count);
          break;
        case "silent":
          for (const ws of open) if (ws.data.control.streams.includes(done.stream!)) ws.data.silenced.add(done.stream!);
          break;
        case "listing":
        case "halt":
        case "resume":
          break;
        default:
          for (const ws of [...open]) applyStreamFault(ws, done, clock);
      }
      return picked?.target;
    },
    counts: () => ({ ...counts }),
    refuseUntil: () => refuseUntil,
  };
}

// --- internal ---

type Picked = { target: string } | { why: string } | undefined;

/** The symbol or stream a status or silent fault acts on (a status change happens here). */
function _pick(fault: Fault, ctx: { status: StatusControl; open: ReadonlySet<SimSocket>; seed: number; silences: () => number }): Picked {
  const outcome = (o: Outcome): Picked => ("symbol" in o ? { target: o.symbol } : o);
  switch (fault.kind) {
    case "listing":
      return outcome(ctx.status.listing(fault.symbol));
    case "halt":
      return outcome(ctx.status.halt(fault.symbol));
    case "resume":
      return outcome(ctx.status.resume(fault.symbol));
    case "silent": {
      const stream = fault.stream ?? pickStream([...ctx.open].flatMap((ws) => ws.data.control.streams), ctx.seed, ctx.silences());
      return stream === undefined ? { why: "no stream is subscribed" } : { target: stream };
    }
    default:
      return undefined;
  }
}

function _withTarget(fault: Fault, target: string): Fault {
  if (fault.kind === "silent") return { kind: "silent", stream: target };
  if (fault.kind === "listing" || fault.kind === "halt" || fault.kind === "resume") return { kind: fault.kind, symbol: target };
  return fault;
}
