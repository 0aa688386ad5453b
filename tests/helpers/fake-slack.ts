// A fake Slack incoming-webhook server on a free port: records every POST and answers
// as told ("ok", an HTTP status, or never).

export type SlackMode = "ok" | "hang" | number;

export interface SlackPost {
  path: string;
  body: { text?: string; username?: string; [key: string]: unknown };
}

export interface FakeSlack extends Disposable {
  /** Base URL; a webhook is `url("/services/T0/B0/secret")`. */
  url(path: string): string;
  /** Posts Slack accepted (answered 200), in order. */
  readonly posts: SlackPost[];
  /** Every request received, whatever the answer. */
  readonly attempts: SlackPost[];
  /** How the next requests are answered. */
  mode: SlackMode;
  /** Resolves once `posts.length >= n` (rejects after `timeoutMs` real time). */
  waitForPosts(n: number, timeoutMs?: number): Promise<SlackPost[]>;
  stop(): void;
}

export function startFakeSlack(): FakeSlack {
  const posts: SlackPost[] = [];
  const attempts: SlackPost[] = [];
  const hanging: (() => void)[] = [];
  const listeners = new Set<() => void>();
  const state = { mode: "ok" as SlackMode };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const body = (await req.json().catch(() => ({}))) as SlackPost["body"];
      const post = { path, body };
      attempts.push(post);
      const mode = state.mode;
      if (mode === "hang") {
        return new Promise<Response>((resolve) => hanging.push(() => resolve(new Response("late", { status: 500 }))));
      }
      if (mode !== "ok") return new Response(mode === 404 ? "no_service" : "error", { status: mode });
      posts.push(post);
      for (const l of listeners) l();
      return new Response("ok");
    },
  });
  const stop = () => {
    for (const h of hanging.splice(0)) h();
    server.stop(true);
  };
  return {
    url: (path) => `http://127.0.0.1:${server.port}${path}`,
    posts,
    attempts,
    get mode() {
      return state.mode;
    },
    set mode(m: SlackMode) {
      state.mode = m;
    },
    waitForPosts(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        if (posts.length >= n) return resolve(posts);
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`fake Slack got ${posts.length} posts, expected ${n}`));
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
