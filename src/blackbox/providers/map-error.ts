/**
 * Translate what an SDK throws (HTTP status errors, connection failures, aborts, unparseable
 * bodies) into the typed errors of ../errors.ts. Shared by the openai and anthropic providers,
 * whose SDKs (both Stainless-generated) have the same error class names.
 */
import {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  BlackBoxError,
  ConnectionError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "../errors.js";
import { retryAfterFromHeaders } from "../retry.js";

/** What a message may say about the request: never the key itself. */
export interface ErrorContext {
  /** "openai" / "anthropic". */
  provider: string;
  model: string;
  /** Where the key comes from, e.g. "OPENAI_API_KEY or --api-key". */
  keyHint: string;
  /** Values to scrub from any text we repeat (the API key). */
  secrets: Array<string | undefined>;
}

/** The error classes an SDK exports (the subset we test against). */
export interface SdkErrorClasses {
  APIError: abstract new (
    ...args: never[]
  ) => Error & { status?: number | undefined; headers?: unknown; error?: unknown };
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIUserAbortError: abstract new (...args: never[]) => Error;
}

/** Remove `secrets` and anything shaped like an API key (sk-..., sk-ant-...) from `text`. */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  return out.replace(/\b(sk|key|api)[-_][A-Za-z0-9_\-*.]{4,}/gi, "[redacted]");
}

/** The typed error for an HTTP error status with the provider's `message`. */
export function errorForStatus(
  status: number,
  providerMessage: string,
  headers: { get(name: string): string | null } | undefined,
  ctx: ErrorContext,
): BlackBoxError {
  const msg = redact(providerMessage, ctx.secrets);
  const where = `${ctx.provider}:${ctx.model}`;
  if (status === 401 || status === 403) {
    return new AuthenticationError(
      `${ctx.provider} rejected the credentials (HTTP ${status}) for ${where}: ${msg}. ` +
        `Check the API key in ${ctx.keyHint}.`,
      { status },
    );
  }
  if (status === 429) {
    return new RateLimitError(`${where}: rate limited (HTTP 429): ${msg}`, {
      retryAfterMs: retryAfterFromHeaders(headers),
    });
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new ServerError(`${where}: server error (HTTP ${status}): ${msg}`, {
      status,
      retryAfterMs: retryAfterFromHeaders(headers),
    });
  }
  return new BadRequestError(
    `${ctx.provider} rejected the request for model "${ctx.model}" (HTTP ${status}): ${msg}`,
    {
      status,
    },
  );
}

/** Message of an SDK APIError: the body's error.message when present, else the SDK's text. */
function apiMessage(err: Error & { error?: unknown }): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const m = body?.message ?? body?.error?.message;
  return typeof m === "string" && m !== "" ? m : err.message;
}

/**
 * Map anything thrown during one request to a BlackBoxError. When `signal` was aborted (our
 * per-request timeout), its reason wins: the SDK only sees a user abort.
 */
export function mapThrown(
  err: unknown,
  ctx: ErrorContext,
  signal: AbortSignal,
  sdk: SdkErrorClasses,
): BlackBoxError {
  if (err instanceof BlackBoxError) return err;
  const where = `${ctx.provider}:${ctx.model}`;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof BlackBoxError
      ? reason
      : new TimeoutError(`${where}: request aborted`, { cause: err });
  }
  if (err instanceof sdk.APIConnectionTimeoutError) {
    return new TimeoutError(`${where}: request timed out`, { cause: err });
  }
  if (err instanceof sdk.APIUserAbortError) {
    return new ConnectionError(`${where}: request aborted`, { cause: err });
  }
  if (err instanceof sdk.APIConnectionError) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return new ConnectionError(redact(`${where}: connection failed (${err.message}${detail})`, ctx.secrets), {
      cause: err,
    });
  }
  if (err instanceof sdk.APIError) {
    const e = err as Error & { status?: number; headers?: unknown; error?: unknown };
    if (typeof e.status === "number") {
      const headers = e.headers as { get(name: string): string | null } | undefined;
      return errorForStatus(e.status, apiMessage(e), headers?.get ? headers : undefined, ctx);
    }
    return new ConnectionError(redact(`${where}: ${e.message}`, ctx.secrets), { cause: err });
  }
  if (err instanceof SyntaxError) {
    return new BadResponseError(`${where}: response body is not valid JSON (${err.message})`, { cause: err });
  }
  if (err instanceof TypeError) {
    // undici reports a socket closed while reading the body as TypeError("terminated").
    return new ConnectionError(redact(`${where}: connection failed (${err.message})`, ctx.secrets), {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BlackBoxError(redact(`${where}: ${message}`, ctx.secrets), { cause: err });
}
