/** One attempt of a provider call under a timeout, and the scrubbing of URL credentials from its errors. */
import { redactUrl } from "../util/redact.js";
import { BlackBoxError, TimeoutError } from "./errors.js";

/**
 * Run `fn` with a signal that aborts after `timeoutMs` with a TimeoutError saying `timeoutMessage`.
 * When the call fails with something other than a typed black-box error because of that abort (an SDK's
 * AbortError), the TimeoutError is thrown instead.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  timeoutMessage: string,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutError(timeoutMessage)), timeoutMs);
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
