import type { Server } from "bun";
import { UserError } from "../errors.ts";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.ts";
import type { RecorderState } from "../state/state-file.ts";
import { formatListenAddress, type ListenAddress } from "./listen-address.ts";

export interface StatusPages {
  /** The Prometheus exposition text. */
  metrics(): string;
  /** The state file's object, built now; undefined while the recorder is starting. */
  state(): RecorderState | undefined;
  /** `resilience status`'s verdict on that state. */
  health(): { healthy: boolean; problems: string[] };
}

export interface StatusServerOptions {
  address: ListenAddress;
  pages: StatusPages;
  /** A page that threw (a bug): answered 500, the recorder goes on. */
  onError?(err: unknown): void;
}

export interface StatusServer {
  /** `http://127.0.0.1:9464` */
  readonly url: string;
  /** Idempotent. */
  stop(): void;
}

/**
 * `run --listen`: GET /metrics (Prometheus text), /healthz (200 `ok`, or 503 with one
 * problem per line) and /state (the state file's JSON); anything else is 404. Every page
 * is built when asked from figures the recorder already keeps, so a scrape never waits on
 * the recorder and the recorder never waits on a scrape. A port in use is a UserError.
 */
export function startStatusServer(options: StatusServerOptions): StatusServer {
  const { address, pages } = options;
  const where = formatListenAddress(address);
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: address.host,
      port: address.port,
      development: false,
      // Production mode turns SO_REUSEPORT on (oven-sh/bun #1443): a second recorder on the
      // same port would bind too, and scrapes would be split between them, never refused.
      reusePort: false,
      fetch(request) {
        try {
          return _route(request, pages);
        } catch (err) {
          options.onError?.(err);
          return _text(500, "internal error\n");
        }
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UserError(`cannot listen on ${where}: the port is in use; give --listen another port, or stop what listens there`);
    if (code === "EADDRNOTAVAIL") throw new UserError(`cannot listen on ${where}: ${address.host} is not an address of this host; give --listen 127.0.0.1, 0.0.0.0 or one of its addresses`);
    if (code === "EACCES") throw new UserError(`cannot listen on ${where}: not allowed (ports below 1024 need privileges); give --listen a port such as 9464`);
    throw err;
  }
  let stopped = false;
  return {
    url: `http://${where}`,
    stop() {
      if (stopped) return;
      stopped = true;
      void server.stop(true);
    },
  };
}

// --- internal ---

function _route(request: Request, pages: StatusPages): Response {
  if (request.method !== "GET" && request.method !== "HEAD") return _text(404, "not found\n");
  switch (new URL(request.url).pathname) {
    case "/metrics":
      return new Response(pages.metrics(), { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
    case "/healthz": {
      const { healthy, problems } = pages.health();
      return healthy ? _text(200, "ok\n") : _text(503, `${problems.join("\n")}\n`);
    }
    case "/state": {
      const state = pages.state();
      if (!state) return _text(503, "the recorder is starting\n");
      return new Response(`${JSON.stringify(state, null, 2)}\n`, { headers: { "content-type": "application/json; charset=utf-8" } });
    }
    default:
      return _text(404, "not found\n");
  }
}

function _text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
