import { errorMessage } from "../errors.ts";
import { redactText } from "./redact.ts";

/** What one POST came to. `retryAfterMs`: the service asked to wait this long (a 429). */
export type PostOutcome = { ok: true } | FailedPost;
export type FailedPost = { ok: false; retryable: boolean; reason: string; retryAfterMs?: number };

export interface PostOptions {
  /** Give up on one attempt after this long. */
  timeoutMs: number;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
}

/** An HTTP answer, whatever its status. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** Longest part of an error answer quoted in a log line. */
const DETAIL_MAX_CHARS = 120;

/**
 * POSTs `payload` as JSON. Never throws: the answer, or a retryable failure when there
 * was none (network error, timeout) whose reason names none of `secrets` nor any URL.
 */
export async function postJson(url: string, payload: unknown, options: PostOptions & { secrets: readonly string[] }): Promise<HttpAnswer | FailedPost> {
  try {
    const res = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    const timedOut = name === "TimeoutError" || name === "AbortError";
    return { ok: false, retryable: true, reason: timedOut ? `no answer within ${options.timeoutMs} ms` : redactText(errorMessage(err), options.secrets) };
  }
}

/** 408, 429 and 5xx are worth retrying; another 4xx means wrong credentials or a refused message. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** A failed answer: `HTTP 429: <detail>`, the detail redacted and cut. */
export function httpFailure(status: number, detail: string | undefined, secrets: readonly string[], retryAfterMs?: number): FailedPost {
  const said = detail ? `: ${redactText(detail, secrets).replace(/\s+/g, " ").slice(0, DETAIL_MAX_CHARS)}` : "";
  return { ok: false, retryable: isRetryableStatus(status), reason: `HTTP ${status}${said}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** A `Retry-After` header (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function retryAfterHeaderMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^[-+\d.]+$/.test(value)) return secondsToMs(Number(value));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** A `retry_after` in seconds (Telegram, Discord: may be fractional) in ms; undefined unless a number ≥ 0. */
export function secondsToMs(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.ceil(value * 1000) : undefined;
}

/** The answer's body as JSON, or undefined. */
export function parseJsonBody(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
