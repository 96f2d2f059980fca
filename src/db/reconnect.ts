/**
 * Riding out a database outage: how long a process keeps trying to reconnect to a server store whose
 * connection was lost (a restart, a failover, a network cut), and the retry loop that does it.
 *
 * The window is `--reconnect-for` (worker) or INSTRUCTZERO_RECONNECT_MS [5 min]; 0 gives up at the
 * first failure. Only connections that were made and then lost are retried: a store that cannot be
 * reached when it is opened is an error at once (a wrong URL must not wait 5 minutes).
 */
import { exponentialBackoff, retry } from "../util/async/index.js";
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";

/** How long to keep reconnecting by default [5 min]. */
export const DEFAULT_RECONNECT_MS = 300_000;

let override: number | undefined;

/**
 * A duration: a number of milliseconds, or a number followed by ms, s, m or h ("250ms", "30s", "5m",
 * "1h"). UserError naming `what` for anything else.
 */
export function parseDuration(text: string, what = "duration"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m)
    throw new UserError(`${what} must be a duration such as 30s, 5m or 1h (or milliseconds), got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "ms").toLowerCase() as "ms"];
  return Math.round(Number(m[1]) * unit);
}

/** Set the reconnection window of this process (the worker's `--reconnect-for`); undefined: the environment's. */
export function setReconnectMs(ms: number | undefined): void {
  override = ms;
}

/** The reconnection window in force: {@link setReconnectMs}, else INSTRUCTZERO_RECONNECT_MS, else 5 min. */
export function reconnectMs(env: NodeJS.ProcessEnv = process.env): number {
  if (override !== undefined) return override;
  const raw = env.INSTRUCTZERO_RECONNECT_MS;
  if (!raw) return DEFAULT_RECONNECT_MS;
  return parseDuration(raw, "INSTRUCTZERO_RECONNECT_MS");
}

/** SQLSTATE classes and socket codes that mean "the server went away" (not "the query was wrong"). */
const LOST_CODES =
  /^(08|57P0[1-3]|53300|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH)/;
const LOST_MESSAGE =
  /connection (terminated|refused|reset|ended|closed|was lost)|terminating connection|cannot be reached|the database system is (starting up|shutting down)|ECONNREFUSED|Client has encountered a connection error|timeout exceeded when trying to connect/i;

/** True when `err` says the database connection was lost or cannot be made right now. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; lost?: unknown } | null;
  if (e?.lost === true) return true;
  if (typeof e?.code === "string" && LOST_CODES.test(e.code)) return true;
  return typeof e?.message === "string" && LOST_MESSAGE.test(e.message);
}

/** Options of {@link withReconnect}. */
export interface ReconnectOptions {
  /** How long to keep trying, from the first failure [reconnectMs()]. */
  windowMs?: number;
  /** Stop waiting (the wait resolves... the last error is thrown). */
  signal?: AbortSignal;
  /** Told before each wait (a log line). */
  onRetry?: (error: unknown, delayMs: number) => void;
  /** Which failures are worth waiting for [isConnectionLoss]. */
  retryable?: (error: unknown) => boolean;
}

/**
 * Run `fn` until it succeeds; a connection loss is followed by a wait (exponential backoff, 0.25 s to
 * 5 s, seeded jitter) and another try, for at most the window; any other failure, or one past the
 * window, is thrown as it is.
 */
export async function withReconnect<T>(fn: () => Promise<T>, options: ReconnectOptions = {}): Promise<T> {
  const windowMs = options.windowMs ?? reconnectMs();
  const retryable = options.retryable ?? isConnectionLoss;
  let deadline = Number.POSITIVE_INFINITY;
  return retry(fn, {
    maxAttempts: Number.MAX_SAFE_INTEGER,
    retryable: (error) => {
      if (options.signal?.aborted || !retryable(error)) return false;
      if (deadline === Number.POSITIVE_INFINITY) deadline = Date.now() + windowMs;
      return Date.now() < deadline;
    },
    backoff: exponentialBackoff(
      { initialDelayMs: 250, maxDelayMs: 5000, maxWaitMs: 5000 },
      new Rng(windowMs),
    ),
    signal: options.signal,
    onRetry: ({ error, delayMs }) => options.onRetry?.(error, delayMs),
  });
}
