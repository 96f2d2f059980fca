/** One attempt of a provider call under a timeout, and the scrubbing of URL credentials from its errors. */
import { redactUrl } from "../util/redact.js";
import { BadResponseError, BlackBoxError, ConnectionError, connectionCode, TimeoutError } from "./errors.js";

/**
 * Run `fn` with a signal that aborts after `timeoutMs` with a TimeoutError saying `timeoutMessage`, or
 * when `stop` aborts (with `stop`'s reason: a black-box error). When the call fails with something other
 * than a typed black-box error because of that abort (an SDK's AbortError), the reason is thrown instead.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  timeoutMessage: string,
  stop?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutError(timeoutMessage)), timeoutMs);
  const onStop = () => controller.abort(stop?.reason);
  if (stop?.aborted) onStop();
  else stop?.addEventListener("abort", onStop, { once: true });
  try {
    return await fn(controller.signal);
  } catch (err) {
    const reason: unknown = controller.signal.reason;
    if (!(err instanceof BlackBoxError) && controller.signal.aborted && reason instanceof BlackBoxError) {
      throw reason;
    }
    throw err;
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
  }
}

/** Remove URL credentials from the message (and, with `stack`, the stack) of a thrown error. */
export function scrub(err: unknown, stack = true): void {
  if (!(err instanceof Error)) return;
  try {
    err.message = redactUrl(err.message);
    if (stack && typeof err.stack === "string") err.stack = redactUrl(err.stack);
  } catch {
    // a frozen error: nothing to do
  }
}

/** Append " (gave up after n attempts)"-style context to a black-box error's message. */
export function gaveUp(err: unknown, note: string): void {
  if (err instanceof BlackBoxError) err.message = `${err.message} (${note})`;
}

/** Connection failures that mean the request never reached the server (nothing can have been billed). */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * True when an attempt that failed with `err` may still have been processed (and billed) by the
 * provider: it timed out, its connection failed after it was sent, or a 2xx answer was unreadable.
 * False when the provider answered with an error (an HTTP status: 4xx, 429, 5xx), the caller stopped it
 * before sending, or the connection was refused before anything was sent.
 */
export function mayBeBilled(err: unknown): boolean {
  if (err instanceof TimeoutError || err instanceof BadResponseError) return true;
  if (err instanceof ConnectionError) return !NEVER_SENT.has(connectionCode(err) ?? "");
  return false;
}
