/**
 * Refusal after a 401/403: once a request of a black box is refused (AuthenticationError), the key is
 * known to be bad and every later or queued call rejects at once, no request sent.
 */
import { AuthenticationError } from "./errors.js";

/** The first refusal a black box saw, and the errors of the calls refused because of it. */
export class Refusal {
  private first: AuthenticationError | undefined;
  private readonly made = new WeakSet<object>();

  constructor(private readonly id: string) {}

  /** True once a request was refused. */
  get refused(): boolean {
    return this.first !== undefined;
  }

  /** Remember `err` when it is the first refusal. */
  note(err: unknown): void {
    if (err instanceof AuthenticationError && !this.first) this.first = err;
  }

  /** Throw a fresh error when a request was refused already (no request is sent then). */
  check(): void {
    if (this.first) throw this.error();
  }

  /** A fresh error for a call refused because the key was refused earlier. */
  error(): AuthenticationError {
    const first = this.first as AuthenticationError;
    const err = new AuthenticationError(
      `${this.id}: request not sent: an earlier request was refused (the API key was rejected), so ` +
        `this black box sends no more requests. ${first.message}`,
      { status: first.status, cause: first },
    );
    this.made.add(err);
    return err;
  }

  /** True for an error made by {@link error} (a call refused unsent, not a failed attempt). */
  isRefusal(err: unknown): boolean {
    return typeof err === "object" && err !== null && this.made.has(err);
  }
}
