/**
 * One retry loop for every caller (the black box, provider batches, hub downloads, vLLM): at most
 * `maxAttempts` attempts; a failure the policy calls retryable is followed by a wait (the backoff, fed
 * the server's Retry-After when the error carries one) and another attempt; any other failure, or the
 * last one, is thrown as it is.
 */
import type { Backoff } from "./backoff.js";
import { sleep as realSleep, type Sleep } from "./sleep.js";

/** How {@link retry} retries. */
export interface RetryPolicy {
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Whether `error` (thrown by attempt number `attempt`, 0-based) is worth another attempt. */
  retryable: (error: unknown, attempt: number) => boolean;
  /** The wait before retry n (0-based), given the server's hint. */
  backoff: Backoff;
  /** The server's requested wait carried by `error` (Retry-After), if any [none]. */
  retryAfter?: (error: unknown) => number | undefined;
  /** Aborts the waits between attempts (the wait rejects with the signal's reason) [none]. */
  signal?: AbortSignal;
  /** The timer [a real one]; tests inject a fake that records the waits. */
  sleep?: Sleep;
  /** Called before each wait: counters, events. */
  onRetry?: (info: RetryInfo) => void;
  /** Called with the error about to be thrown after more than one attempt (e.g. to say "gave up after n"). */
  onGiveUp?: (error: unknown, attempts: number) => void;
}

/** One retry about to happen. */
export interface RetryInfo {
  /** The attempt that failed (0-based). */
  attempt: number;
  error: unknown;
  /** The wait before the next attempt. */
  delayMs: number;
  /** The server's hint, when the error carried one. */
  retryAfterMs: number | undefined;
}

/** Run `fn(attempt)` until it succeeds or the policy gives up; see the module comment. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const wait = policy.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt + 1 >= policy.maxAttempts || !policy.retryable(error, attempt)) {
        if (attempt > 0) policy.onGiveUp?.(error, attempt + 1);
        throw error;
      }
      const retryAfterMs = policy.retryAfter?.(error);
      const delayMs = policy.backoff(attempt, retryAfterMs);
      policy.onRetry?.({ attempt, error, delayMs, retryAfterMs });
      await wait(delayMs, policy.signal);
    }
  }
}
