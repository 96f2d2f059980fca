/** One call of a provider's batch endpoints: a timeout, transient failures retried with backoff. */
import { exponentialBackoff, retry, type Sleep } from "../../util/async/index.js";
import type { Rng } from "../../util/rng.js";
import { gaveUp, withTimeout } from "../attempt.js";
import { BadRequestError, classify, isTransient, retryAfterOf } from "../errors.js";
import type { Refusal } from "../refusal.js";
import type { Settings } from "../settings.js";
import { ClosedError } from "./errors.js";

/** What {@link callBatchApi} needs of its black box. */
export interface ApiCallContext {
  readonly id: string;
  readonly settings: Settings;
  readonly refusal: Refusal;
  readonly rng: Rng;
  readonly sleep: Sleep;
  /** True once the black box was closed: no more calls. */
  closed(): boolean;
}

/**
 * Call `fn` (one batch endpoint, `label` for messages) with a timeout; transient failures are retried
 * with backoff, at most maxRetries times. A 401/403 is remembered: later calls are refused unsent.
 */
export function callBatchApi<T>(
  ctx: ApiCallContext,
  label: string,
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs = ctx.settings.timeoutMs,
): Promise<T> {
  return retry(
    async () => {
      if (ctx.closed()) throw new ClosedError(`${ctx.id}: closed`);
      ctx.refusal.check();
      try {
        return await withTimeout(
          fn,
          timeoutMs,
          `${ctx.id}: batch ${label}: no response within ${timeoutMs} ms`,
        );
      } catch (err) {
        ctx.refusal.note(err);
        throw noBatchEndpoints(ctx, label, err) ?? err;
      }
    },
    {
      maxAttempts: ctx.settings.maxRetries + 1,
      retryable: isTransient,
      retryAfter: retryAfterOf,
      backoff: exponentialBackoff(ctx.settings.backoff, ctx.rng),
      sleep: ctx.sleep,
      onGiveUp: (error, attempts) =>
        ctx.refusal.isRefusal(error) || gaveUp(error, `batch ${label}: gave up after ${attempts} attempts`),
    },
  );
}

/**
 * A 404/405 from a batch endpoint: the server has no Batch API (a self-hosted server, a proxy), the
 * model is not to blame. Undefined for any other error.
 */
export function noBatchEndpoints(
  ctx: Pick<ApiCallContext, "id">,
  label: string,
  err: unknown,
): BadRequestError | undefined {
  if (classify(err) !== "not-found") return undefined;
  const status = (err as BadRequestError).status;
  return new BadRequestError(
    `${ctx.id}: the server has no batch endpoints (HTTP ${status} on batch ${label}): it does not ` +
      "implement the provider's Batch API; run without --batch-api",
    { status, cause: err },
  );
}
