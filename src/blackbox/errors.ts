/**
 * Typed errors of the black-box layer (after openai-node's hierarchy). Providers translate their
 * SDK's errors into these; the retry wrapper decides from the class alone whether to try again.
 * Messages never contain an API key.
 */
import { InstructZeroError } from "../util/errors.js";

/** Base class of every black-box failure. `status` is the HTTP status when there was one. */
export class BlackBoxError extends InstructZeroError {
  readonly status: number | undefined;
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BlackBoxError";
    this.status = options?.status;
  }
}

/** 401/403 or a missing key: never retried. The message names the env var / flag holding the key. */
export class AuthenticationError extends BlackBoxError {
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options);
    this.name = "AuthenticationError";
  }
}

/** 400/404/422: the request itself is wrong (model name, parameters). Never retried. */
export class BadRequestError extends BlackBoxError {
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options);
    this.name = "BadRequestError";
  }
}

/** 429. `retryAfterMs` is the server's Retry-After (or retry-after-ms) hint, when it sent one. */
export class RateLimitError extends BlackBoxError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { retryAfterMs?: number; cause?: unknown }) {
    super(message, { status: 429, cause: options?.cause });
    this.name = "RateLimitError";
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** 5xx (and 408/409 style "try again" statuses). May carry a Retry-After hint too. */
export class ServerError extends BlackBoxError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { status?: number; retryAfterMs?: number; cause?: unknown }) {
    super(message, options);
    this.name = "ServerError";
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** No answer within the per-request timeout. */
export class TimeoutError extends BlackBoxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/** The connection failed or was reset before a complete response arrived. */
export class ConnectionError extends BlackBoxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/** A 2xx response whose body is unusable (not JSON, no choices, no text). */
export class BadResponseError extends BlackBoxError {
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options);
    this.name = "BadResponseError";
  }
}

/** True for failures worth retrying: rate limits, server errors, timeouts, resets, bad bodies. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof RateLimitError ||
    err instanceof ServerError ||
    err instanceof TimeoutError ||
    err instanceof ConnectionError ||
    err instanceof BadResponseError ||
    (err instanceof BlackBoxError && err.name === "TransientError")
  );
}

/** The server's requested wait carried by `err`, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof RateLimitError || err instanceof ServerError) return err.retryAfterMs;
  const hint = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return err instanceof BlackBoxError && typeof hint === "number" ? hint : undefined;
}
