/**
 * Translate what an SDK throws (HTTP status errors, connection failures, aborts, unparseable
 * bodies) into the typed errors of ../errors.ts, and check a base URL before any request. Shared by
 * the openai and anthropic providers, whose SDKs (both Stainless-generated) have the same error
 * class names. Every message built here goes through {@link redact}: no API key, no URL credential.
 */
import { UserError } from "../../util/errors.js";
import { redactUrl } from "../../util/redact.js";
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

/**
 * Remove `secrets`, anything shaped like an API key (sk-..., sk-ant-...) and URL credentials
 * (user:password@, ?key=...; see {@link redactUrl}) from `text`.
 */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = redactUrl(text);
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  return out.replace(/\b(sk|key|api)[-_][A-Za-z0-9_\-*.]{4,}/gi, "[redacted]");
}

/**
 * Check the base URL a provider is about to use, before any request: a malformed URL (`notaurl`,
 * `http//x`, `127.0.0.1:8080` without a scheme), a scheme other than http: / https:, or
 * credentials in the URL (which fetch refuses to send) is a UserError naming where the value came
 * from (`source`: "the baseURL option (--base-url)", "OPENAI_BASE_URL") and the value, its
 * credentials removed. Returns the URL without trailing slashes.
 */
export function checkBaseURL(value: string, source: string): string {
  const url = value.trim().replace(/\/+$/, "");
  const shown = JSON.stringify(redactUrl(url));
  const fail = (what: string) => new UserError(`base URL ${shown} from ${source} ${what}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail(
      `is not a valid URL; give an http:// or https:// URL such as http://127.0.0.1:8000/v1${schemeHint(url)}`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    const hint = url.includes("://") ? "" : schemeHint(url);
    throw fail(
      `has the unsupported scheme "${parsed.protocol}"; only http:// and https:// URLs are supported${hint}`,
    );
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw fail(
      "contains credentials (user:password@), which the HTTP client cannot send; remove them " +
        "(an API key goes in the provider's API-key environment variable)",
    );
  }
  return url;
}

/** ` (did you mean "http://host:port"?)` for a URL whose scheme is missing or misspelt, else "". */
function schemeHint(url: string): string {
  const misspelt = /^(https?)(?::\/?|\/\/?)(?!\/)(.+)$/i.exec(url); // http//x, http:/x, https/x
  const guess = misspelt
    ? `${misspelt[1].toLowerCase()}://${misspelt[2]}`
    : /^[\w.-]+(:\d+)?(\/|$)/.test(url)
      ? `http://${url}`
      : undefined;
  return guess === undefined ? "" : ` (did you mean "${redactUrl(guess)}"?)`;
}

/** Scrub the message and stack of `err` and of its causes (SDK errors may repeat the request URL). */
function scrubChain(err: unknown, secrets: Array<string | undefined>): void {
  const seen = new Set<unknown>();
  for (
    let e = err;
    e instanceof Error && !seen.has(e) && seen.size < 8;
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    try {
      e.message = redact(e.message, secrets);
      if (typeof e.stack === "string") e.stack = redact(e.stack, secrets);
    } catch {
      // a frozen or exotic error: leave it, our own message is scrubbed anyway
    }
  }
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
    // 403 (the SDKs' PermissionDeniedError): the key is valid but not allowed this model or project.
    const what = status === 401 ? "rejected the credentials" : "refused access (permission denied)";
    return new AuthenticationError(
      `${ctx.provider} ${what} (HTTP ${status}) for ${where}: ${msg}. Check the API key in ${ctx.keyHint}.`,
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
  scrubChain(err, ctx.secrets);
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
  const unusable = unusableURL(err);
  if (unusable !== undefined) {
    // fetch refused the URL itself (malformed, credentials, unknown scheme): retrying cannot help.
    return new BadRequestError(
      redact(`${where}: the request URL cannot be used (${unusable})`, ctx.secrets),
      {
        cause: err,
      },
    );
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
    return new BadResponseError(
      redact(`${where}: response body is not valid JSON (${err.message})`, ctx.secrets),
      {
        cause: err,
      },
    );
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

/** The message of `err` or of one of its causes when fetch rejected the URL itself, else undefined. */
function unusableURL(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (
    let e = err;
    e instanceof Error && !seen.has(e) && seen.size < 8;
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (
      code === "ERR_INVALID_URL" ||
      /^Invalid URL\b|^Failed to parse URL|URL that includes credentials|^unknown scheme\b|^URL scheme must be/i.test(
        e.message,
      )
    ) {
      return e.message;
    }
  }
  return undefined;
}
