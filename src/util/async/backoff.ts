/**
 * Backoff arithmetic, pure: how long to wait before retry n. Exponential backoff with full jitter (AWS
 * style: uniform in [0, min(cap, base * 2^n)]), or the server's Retry-After when it sent one; or a
 * linear step (k * step before retry k). Jitter is drawn from an injected source (a seeded Rng): it
 * only changes how long we wait, never what we return.
 */

/** A source of uniform numbers in [0, 1) (a seeded `Rng`). */
export interface JitterSource {
  uniform(): number;
}

/** Wait before retry number `retry` (0 for the first retry), given the server's hint when it sent one. */
export type Backoff = (retry: number, retryAfterMs: number | undefined) => number;

/** Settings of {@link exponentialBackoff} (all milliseconds). */
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
 * Wait before retry number `retry` (0 for the first retry).
 * - with a server hint h: min(maxWait, h + jitter), jitter uniform in [0, min(0.1 h, 1000)) so that
 *   clients told the same instant do not all return together; never earlier than h (unless capped);
 * - otherwise full jitter: uniform in [0, min(maxDelay, initial * 2^retry)], capped by maxWait.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
  rng: JitterSource,
): number {
  if (retryAfterMs !== undefined) {
    const jitter = rng.uniform() * Math.min(0.1 * retryAfterMs, 1000);
    return Math.min(options.maxWaitMs, Math.ceil(retryAfterMs + jitter));
  }
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry);
  return Math.min(options.maxWaitMs, Math.round(rng.uniform() * ceiling));
}

/** Exponential backoff with full jitter drawn from `rng`, honouring Retry-After; see {@link retryDelayMs}. */
export function exponentialBackoff(options: BackoffOptions, rng: JitterSource): Backoff {
  return (retry, retryAfterMs) => retryDelayMs(retry, retryAfterMs, options, rng);
}

/** `stepMs * (retry + 1)`: 1 step before the first retry, 2 before the second... (no jitter, no hint). */
export function linearBackoff(stepMs: number): Backoff {
  return (retry) => stepMs * (retry + 1);
}
