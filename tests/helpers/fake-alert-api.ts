// Local fakes of a Slack incoming webhook, the Telegram Bot API, a Discord webhook and a generic JSON webhook, on a
// free port: each records every POST and answers the way its service does ("ok", a rate
// limit with its retry-after, an HTTP error whose body echoes the request path — tokens and
// webhook secrets included, to prove the alerter redacts them — or never).

export type AlertApiKind = "slack" | "telegram" | "discord" | "webhook";

/** How a request is answered: accepted, 429 for `retryAfterS` seconds, another status, or never. */
export type AlertApiAnswer = "ok" | "hang" | { status: 429; retryAfterS: number } | number;

export interface AlertApiRequest {
  path: string;
  body: Record<string, unknown>;
  /** Real time it arrived. */
  at: number;
}

export interface FakeAlertApi extends Disposable {
  readonly kind: AlertApiKind;
  /** `http://127.0.0.1:<port>` + path: a webhook URL, or the Telegram API base (`url("")`). */
  url(path: string): string;
  /** Requests answered as accepted, in order. */
  readonly posts: AlertApiRequest[];
  /** Every request, whatever the answer. */
  readonly attempts: AlertApiRequest[];
  /** How requests are answered once `script` is used up. */
  mode: AlertApiAnswer;
  /** One-off answers, used first, in order. */
  readonly script: AlertApiAnswer[];
  /** Resolves once `posts.length >= n` (rejects after `timeoutMs` real time). */
  waitForPosts(n: number, timeoutMs?: number): Promise<AlertApiRequest[]>;
  stop(): void;
}

export function startFakeAlertApi(kind: AlertApiKind): FakeAlertApi {
  const posts: AlertApiRequest[] = [];
  const attempts: AlertApiRequest[] = [];
  const script: AlertApiAnswer[] = [];
  const hanging: (() => void)[] = [];
  const listeners = new Set<() => void>();
  const state = { mode: "ok" as AlertApiAnswer };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const body = (await req.json().catch(() => ({}))) as Record<string, unknown>;
      const request = { path, body, at: Date.now() };
      attempts.push(request);
      const answer = script.shift() ?? state.mode;
      if (answer === "hang") return new Promise<Response>((resolve) => hanging.push(() => resolve(new Response("late", { status: 500 }))));
      if (answer !== "ok") return _refuse(kind, answer, path);
      if (kind === "telegram" && !/^\/bot\d+:[\w-]+\/sendMessage$/.test(path)) return _refuse(kind, 404, path);
      posts.push(request);
      for (const l of listeners) l();
      return _accept(kind);
    },
  });
  const stop = () => {
    for (const h of hanging.splice(0)) h();
    server.stop(true);
  };
  return {
    kind,
    url: (path) => `http://127.0.0.1:${server.port}${path}`,
    posts,
    attempts,
    script,
    get mode() {
      return state.mode;
    },
    set mode(m: AlertApiAnswer) {
      state.mode = m;
    },
    waitForPosts(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        if (posts.length >= n) return resolve(posts);
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`fake ${kind} got ${posts.length} posts, expected ${n}`));
        }, timeoutMs);
        const check = () => {
          if (posts.length < n) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(posts);
        };
        listeners.add(check);
      });
    },
    stop,
    [Symbol.dispose]: stop,
  };
}

// --- internal ---

function _accept(kind: AlertApiKind): Response {
  if (kind === "slack") return new Response("ok");
  if (kind === "telegram") return Response.json({ ok: true, result: { message_id: 1 } });
  if (kind === "discord") return new Response(null, { status: 204 });
  return new Response("accepted", { status: 202 });
}

/** An error answer in the service's own shape; the text echoes the path (secrets and all). */
function _refuse(kind: AlertApiKind, answer: { status: 429; retryAfterS: number } | number, path: string): Response {
  const status = typeof answer === "number" ? answer : 429;
  const retryAfterS = typeof answer === "number" ? undefined : answer.retryAfterS;
  const headers: Record<string, string> = retryAfterS === undefined ? {} : { "retry-after": String(Math.ceil(retryAfterS)) };
  switch (kind) {
    case "slack":
      return new Response(status === 404 ? "no_service" : "error", { status, headers });
    case "telegram": {
      const description = retryAfterS === undefined ? `Error for ${path}: refused` : `Too Many Requests: retry after ${retryAfterS}`;
      const parameters = retryAfterS === undefined ? {} : { parameters: { retry_after: retryAfterS } };
      return Response.json({ ok: false, error_code: status, description, ...parameters }, { status });
    }
    case "discord": {
      const body = retryAfterS === undefined ? { message: `Unknown Webhook at https://discord.test${path}`, code: 10015 } : { message: "You are being rate limited.", retry_after: retryAfterS, global: false };
      return Response.json(body, { status, headers });
    }
    case "webhook":
      return new Response(`no route for http://relay.test${path}`, { status, headers });
  }
}
