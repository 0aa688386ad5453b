import type { Clock } from "../clock.ts";
import { connectionFromUrl, type Connection } from "./connection.ts";
import type { MarketRules } from "./market-rules.ts";
import { ATTEMPT_WINDOW_MS, MAX_ATTEMPTS_PER_WINDOW, MAX_STREAMS_PER_CONNECTION, MAX_URL_CHARS, createAttemptWindow, type LimitReporter } from "./limits.ts";

/** What the front door says about one HTTP request. */
export type Admission = { kind: "answer"; response: Response } | { kind: "rest" } | { kind: "upgrade"; connection: Connection };

export interface GateOptions {
  clock: Clock;
  limits: LimitReporter;
  /** New connections are refused (503) until this time (the `refuse` fault). */
  refuseUntil(): number;
  /** The market's REST root and stream paths; anything else is a 404. */
  rules: MarketRules;
}

/**
 * The front door of the simulated exchange, in Binance's order: every upgrade request
 * counts towards the attempts window (accepted or not); a request target over
 * MAX_URL_CHARS is a 414; an attempt over the window is a 429; then routing (the
 * market's REST root, its stream paths, else 404: no `/api/v3` on futures, no plain
 * `/stream` on USDⓈ-M), more than MAX_STREAMS_PER_CONNECTION streams (400), a missing
 * upgrade (400) and the `refuse` fault (503).
 */
export function createGate(options: GateOptions): { admit(request: Request, url: URL, id: number): Admission } {
  const { clock, limits, rules } = options;
  const paths = { root: rules.streamRoot, streamsInPath: rules.streamsInPath };
  const attempts = createAttemptWindow();
  const answer = (status: number, body: string, type = "text/plain"): Admission => ({ kind: "answer", response: new Response(body, { status, headers: { "content-type": type } }) });
  return {
    admit(request, url, id) {
      const now = clock.now();
      const upgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
      const overAttempts = upgrade && attempts.record(now);
      const target = _requestTarget(request.url);
      if (target.length > MAX_URL_CHARS) {
        limits.hit("uri414", `a ${target.length}-character request target (at most ${MAX_URL_CHARS})`);
        return answer(414, "URI Too Long");
      }
      if (overAttempts) {
        limits.hit("attempts429", `over ${MAX_ATTEMPTS_PER_WINDOW} connection attempts in ${ATTEMPT_WINDOW_MS / 60_000} minutes`);
        return answer(429, "Too Many Requests");
      }
      if (url.pathname.startsWith(rules.restRoot)) return { kind: "rest" };
      const connection = connectionFromUrl(url, id, now, paths);
      if (!connection) return answer(404, "Not Found");
      const count = connection.control.streams.length;
      if (count > MAX_STREAMS_PER_CONNECTION) {
        limits.hit("tooManyStreams", `${count} streams in one URL (at most ${MAX_STREAMS_PER_CONNECTION})`);
        const msg = `Too many streams: ${count} requested, at most ${MAX_STREAMS_PER_CONNECTION} per connection.`;
        return answer(400, JSON.stringify({ code: -1101, msg }), "application/json;charset=UTF-8");
      }
      if (!upgrade) return answer(400, "Expected a WebSocket upgrade");
      if (now < options.refuseUntil()) return answer(503, "Service Unavailable");
      return { kind: "upgrade", connection };
    },
  };
}

// --- internal ---

/** `/stream?streams=…` out of `http://host:port/stream?streams=…`: what the request line carried. */
function _requestTarget(absolute: string): string {
  const start = absolute.indexOf("/", absolute.indexOf("//") + 2);
  return start < 0 ? "/" : absolute.slice(start);
}
