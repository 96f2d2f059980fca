/** A timer as a promise, that an AbortSignal ends early. */

/** What {@link sleep} does when its signal aborts: reject with the signal's reason, or resolve at once. */
export type OnAbort = "reject" | "resolve";

/**
 * Wait `ms` milliseconds. When `signal` aborts first (or already has), the wait ends at once: by
 * default the promise rejects with the signal's reason; with `onAbort: "resolve"` it resolves (a poll
 * loop that checks the signal itself).
 */
export function sleep(ms: number, signal?: AbortSignal, onAbort: OnAbort = "reject"): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = () => (onAbort === "reject" ? reject(signal?.reason) : resolve());
    if (signal?.aborted) {
      end();
      return;
    }
    const abort = () => {
      clearTimeout(timer);
      end();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/** The signature of {@link sleep} that callers accept injected (tests pass a fake that records waits). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
