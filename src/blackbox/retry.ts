/**
 * Retry arithmetic, pure: how long to wait before attempt n + 1. Exponential backoff with full
 * jitter (AWS style: uniform in [0, min(cap, base * 2^n)]), or the server's Retry-After when it
 * sent one. The jitter is drawn from a seeded Rng: it only changes how long we wait, never what
 * we return.
 */
import type { Rng } from "../util/rng.js";

/** Backoff settings (all milliseconds). */
export interface BackoffOptions {
  /** Base delay of the first retry (before jitter). Default 500. */
  initialDelayMs: number;
  /** Cap of the exponential term. Default 20 000. */
  maxDelayMs: number;
  /** Cap on any single wait, Retry-After included. Default 60 000. */
  maxWaitMs: number;
}

/** Defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 20_000, maxWaitMs: 60_000 };

/**
 * Parse a Retry-After header value: delta-seconds ("2", "0.5") or an HTTP date. Returns
 * milliseconds from `nowMs` (never negative), or undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined; // an HTTP date always names a day or month
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Retry hint from response headers: OpenAI's `retry-after-ms`, else standard `retry-after`. */
export function retryAfterFromHeaders(
  headers: { get(name: string): string | null } | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms != null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms.trim()));
  return parseRetryAfter(headers.get("retry-after"), nowMs);
}

/**
 * Wait before retry number `retry` (0 for the first retry).
 * - with a server hint h: min(maxWait, h + jitter), jitter uniform in [0, min(0.1 h, 1000)) so that
 *   clients told the same instant do not all return together; never earlier than h (unless capped);
 * - otherwise full jitter: uniform in [0, min(maxDelay, initial * 2^retry)], capped by maxWait.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
  rng: Rng,
): number {
  if (retryAfterMs !== undefined) {
    const jitter = rng.uniform() * Math.min(0.1 * retryAfterMs, 1000);
    return Math.min(options.maxWaitMs, Math.ceil(retryAfterMs + jitter));
  }
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry);
  return Math.min(options.maxWaitMs, Math.round(rng.uniform() * ceiling));
}

/** Promise-based sleep that ends early (rejecting with the signal's reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
