// A fake Slack incoming-webhook server on a free port: records every POST and answers
// as told ("ok", an HTTP status, or never). The Slack kind of fake-alert-api.ts.
import { startFakeAlertApi } from "./fake-alert-api.ts";

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
  return startFakeAlertApi("slack") as unknown as FakeSlack;
}
