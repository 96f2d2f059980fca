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

/**
 * A 2xx response whose body is unusable (not JSON, no choices, no text). `notJson` marks a body that is
 * not JSON at all (an HTML page, plain text): the URL points at something else, retrying cannot help.
 */
export class BadResponseError extends BlackBoxError {
  readonly notJson: boolean;
  constructor(message: string, options?: { status?: number; cause?: unknown; notJson?: boolean }) {
    super(message, options);
    this.name = "BadResponseError";
    this.notJson = options?.notJson === true || notJsonAtAll(options?.cause);
  }
}

/**
 * A call refused unsent (or stopped while waiting to retry, or aborted under way) because an earlier
 * call of the same black box failed for good with an error that halts it ({@link ERROR_TABLE}).
 * `first` is that error.
 */
export class HaltedError extends BlackBoxError {
  constructor(
    id: string,
    readonly first: Error,
  ) {
    super(`${id}: stopped: an earlier request failed for good, so no more are sent (${first.message})`, {
      cause: first,
      status: first instanceof BlackBoxError ? first.status : undefined,
    });
    this.name = "HaltedError";
  }
}

/**
 * True for the SyntaxError of a body that does not even begin like JSON (`Unexpected token '<', "<html>..."`),
 * false for one cut short or garbled inside (`Unterminated string`, `Unexpected end of JSON input`).
 */
function notJsonAtAll(cause: unknown): boolean {
  if (!(cause instanceof SyntaxError)) return false;
  const m = /Unexpected token '?(.)'?, "(.)/.exec(cause.message);
  return m !== null && m[1] === m[2] && !/[{["\d\-tfn]/.test(m[2]);
}

/** What went wrong with a request, as far as retrying and stopping are concerned (see {@link ERROR_TABLE}). */
export type ErrorKind =
  | "refused-key"
  | "bad-request"
  | "not-found"
  | "rate-limited"
  | "server-error"
  | "timeout"
  | "connection-refused"
  | "host-not-found"
  | "connection-lost"
  | "not-json"
  | "bad-body"
  | "transient"
  | "other";

/** How the black box treats one kind of error. */
export interface ErrorRule {
  /** Another attempt may succeed: retried with backoff (at most maxRetries times). */
  retry: boolean;
  /**
   * Once a call fails for good with it, the endpoint is known unusable: the black box halts (every
   * queued call, call waiting to retry and attempt under way rejects at once, nothing more is sent).
   * False for errors of one request (its body is wrong): other requests may still succeed.
   */
  halts: boolean;
}

/**
 * THE one table of black-box errors: kind -> retryable or not, halts or not. {@link classify} maps an
 * error (its class, HTTP status, errno code, body kind) to its kind. Retries exhausted halt too.
 */
export const ERROR_TABLE: Readonly<Record<ErrorKind, ErrorRule>> = {
  "refused-key": { retry: false, halts: true }, // 401/403, a missing key
  "bad-request": { retry: false, halts: false }, // 400/413/422: this request is wrong
  "not-found": { retry: false, halts: true }, // 404/405: no such model or endpoint on this server
  "rate-limited": { retry: true, halts: true }, // 429 (Retry-After honoured)
  "server-error": { retry: true, halts: true }, // 5xx, 408, 409
  timeout: { retry: true, halts: true }, // no answer within the per-request timeout
  "connection-refused": { retry: false, halts: true }, // ECONNREFUSED, a port fetch refuses: nothing listens
  "host-not-found": { retry: false, halts: true }, // ENOTFOUND: no such host name
  "connection-lost": { retry: true, halts: true }, // reset, closed mid-answer, temporary DNS failure
  "not-json": { retry: false, halts: true }, // a 2xx body that is not JSON (an HTML page): wrong URL
  "bad-body": { retry: true, halts: true }, // JSON without choices or text
  transient: { retry: true, halts: true }, // a function black box's TransientError / transient: true
  other: { retry: false, halts: true }, // anything else (a user module's own error, a bug)
};

/** errno codes of a connection that never reached a server, by kind. */
const CONNECT_CODES: Record<string, ErrorKind> = {
  ECONNREFUSED: "connection-refused",
  ENOTFOUND: "host-not-found",
};

/** The errno `code` found on `err` or one of its causes (or "bad port" when fetch refused the port). */
export function connectionCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (
    let e = err;
    e && typeof e === "object" && !seen.has(e) && seen.size < 8;
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
    if ((e as { message?: unknown }).message === "bad port") return "ECONNREFUSED";
  }
  return undefined;
}

/** The kind of `err` (see {@link ERROR_TABLE}). */
export function classify(err: unknown): ErrorKind {
  if (err instanceof AuthenticationError) return "refused-key";
  if (err instanceof RateLimitError) return "rate-limited";
  if (err instanceof ServerError) return "server-error";
  if (err instanceof TimeoutError) return "timeout";
  if (err instanceof BadRequestError)
    return err.status === 404 || err.status === 405 ? "not-found" : "bad-request";
  if (err instanceof ConnectionError) {
    const code = connectionCode(err);
    return (code && CONNECT_CODES[code]) || "connection-lost";
  }
  if (err instanceof BadResponseError) return err.notJson ? "not-json" : "bad-body";
  if (err instanceof BlackBoxError && err.name === "TransientError") return "transient";
  return "other";
}

/** True for failures worth retrying (see {@link ERROR_TABLE}). */
export function isTransient(err: unknown): boolean {
  return ERROR_TABLE[classify(err)].retry;
}

/** True when a call that failed for good with `err` halts its black box (see {@link ERROR_TABLE}). */
export function haltsBlackBox(err: unknown): boolean {
  return ERROR_TABLE[classify(err)].halts;
}

/** The server's requested wait carried by `err`, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof RateLimitError || err instanceof ServerError) return err.retryAfterMs;
  const hint = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return err instanceof BlackBoxError && typeof hint === "number" ? hint : undefined;
}
