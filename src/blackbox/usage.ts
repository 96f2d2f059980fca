/**
 * Usage of black-box calls, summed: paid calls, cache hits, and the tokens and dollars of the paid calls.
 * One type with its zero and its sum, used by evaluations, judges, proposals and run totals.
 */
import type { Completion } from "./types.js";

/** Usage of some black-box calls; tokens and dollars count paid (non-cached) completions only. */
export interface CallUsage {
  /** Completions that were not served from the cache (paid). */
  calls: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** The usage of no call. */
export function zeroUsage(): CallUsage {
  return { calls: 0, cacheHits: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

/** Add `more` into `into` (in place); returns `into`. */
export function addUsage<T extends CallUsage>(into: T, more: Readonly<CallUsage>): T {
  into.calls += more.calls;
  into.cacheHits += more.cacheHits;
  into.inputTokens += more.inputTokens;
  into.outputTokens += more.outputTokens;
  into.costUsd += more.costUsd;
  return into;
}

/** The usage of one completion: a cache hit, or one paid call with its tokens and dollars. */
export function usageOf(completion: Pick<Completion, "cached" | "usage" | "costUsd">): CallUsage {
  if (completion.cached) return { ...zeroUsage(), cacheHits: 1 };
  return {
    calls: 1,
    cacheHits: 0,
    inputTokens: completion.usage.inputTokens,
    outputTokens: completion.usage.outputTokens,
    costUsd: completion.costUsd,
  };
}
