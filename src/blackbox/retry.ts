/**
 * Retry-After hints of HTTP responses (the backoff itself lives in the async tool kit,
 * src/util/async/, re-exported here for the black-box layer's callers).
 */
export {
  type BackoffOptions,
  DEFAULT_BACKOFF,
  retryDelayMs,
  sleep,
} from "../util/async/index.js";

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
