/** The async tool kit: sleep with an AbortSignal, retry with a policy, a concurrency limiter. */
export {
  type Backoff,
  type BackoffOptions,
  DEFAULT_BACKOFF,
  exponentialBackoff,
  type JitterSource,
  linearBackoff,
  retryDelayMs,
} from "./backoff.js";
export { Limiter } from "./limiter.js";
export { type RetryInfo, type RetryPolicy, retry } from "./retry.js";
export { manyListeners, sharedAbortController } from "./signal.js";
export { type OnAbort, type Sleep, sleep } from "./sleep.js";
