/** The black box's settings: its options checked, with their defaults filled in. */
import type { BackoffOptions } from "../util/async/index.js";
import { UserError } from "../util/errors.js";
import { type BlackBoxOptions, DEFAULTS } from "./options.js";

/** Checked settings of one black box. */
export interface Settings {
  concurrency: number;
  maxRetries: number;
  timeoutMs: number;
  temperature: number;
  maxTokens: number | undefined;
  backoff: BackoffOptions;
}

/** Settings of the batch path (`--batch-api`), beside the black box's. */
export interface BatchSettings {
  priceFactor: number;
  pollMs: number;
  maxRetries: number;
  idleMs: number;
}

/** Defaults of the batch options (the schema's: batchPriceFactor, batchPollMs, batchMaxRetries). */
export const BATCH_DEFAULTS = {
  priceFactor: 0.5,
  pollMs: 30_000,
  maxRetries: 2,
  idleMs: 200,
} as const;

/** The batch options as given (see `BatchBlackBoxOptions`). */
export interface BatchOptionValues {
  batchPriceFactor?: number;
  batchPollMs?: number;
  batchMaxRetries?: number;
  idleMs?: number;
}

/** A number option checked: >= min (an integer when `int`); a UserError naming it otherwise. */
function checked(name: string, v: number | undefined, def: number, min: number, int = false): number {
  const x = v ?? def;
  if (typeof x !== "number" || !Number.isFinite(x) || x < min || (int && !Number.isInteger(x))) {
    throw new UserError(
      `black-box option ${name} must be ${int ? "an integer" : "a number"} >= ${min}, got ${v}`,
    );
  }
  return x;
}

/** The settings of `o` (UserError for a bad option); `defaultConcurrency` is the provider's own default. */
export function resolveSettings(
  o: BlackBoxOptions,
  defaultConcurrency: number = DEFAULTS.concurrency,
): Settings {
  return {
    concurrency: checked("concurrency", o.concurrency, defaultConcurrency, 1, true),
    maxRetries: checked("maxRetries", o.maxRetries, DEFAULTS.maxRetries, 0, true),
    timeoutMs: checked("timeoutMs", o.timeoutMs, DEFAULTS.timeoutMs, 1),
    temperature: checked("temperature", o.temperature, DEFAULTS.temperature, 0),
    maxTokens: o.maxTokens === undefined ? undefined : checked("maxTokens", o.maxTokens, 0, 1, true),
    backoff: {
      initialDelayMs: checked("retryInitialDelayMs", o.retryInitialDelayMs, DEFAULTS.retryInitialDelayMs, 0),
      maxDelayMs: checked("retryMaxDelayMs", o.retryMaxDelayMs, DEFAULTS.retryMaxDelayMs, 0),
      maxWaitMs: checked("maxWaitMs", o.maxWaitMs, DEFAULTS.maxWaitMs, 0),
    },
  };
}

/** The batch settings of `o` (UserError for a bad option). */
export function resolveBatchSettings(o: BatchOptionValues): BatchSettings {
  return {
    priceFactor: checked("batchPriceFactor", o.batchPriceFactor, BATCH_DEFAULTS.priceFactor, 0),
    pollMs: checked("batchPollMs", o.batchPollMs, BATCH_DEFAULTS.pollMs, 0),
    maxRetries: checked("batchMaxRetries", o.batchMaxRetries, BATCH_DEFAULTS.maxRetries, 0, true),
    idleMs: checked("idleMs", o.idleMs, BATCH_DEFAULTS.idleMs, 0),
  };
}
