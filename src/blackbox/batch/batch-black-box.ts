/**
 * The black box through a provider's Batch API (`--batch-api`): the one black box of ../client.ts in
 * batch mode, answered at the batch price (by default half the price table) within hours instead of
 * seconds. The provider declares its Batch API (`Provider.batch`); the dispatcher (./dispatcher.ts)
 * collects, submits, polls and routes answers back. Nothing here names a provider.
 *
 * A request's custom id is its response-cache key, computed by the same black box as without batches,
 * so answers are shared with runs without `--batch-api`.
 */
import { openBlackBox, type WrappedBlackBox } from "../client.js";
import type { BatchModeOptions, BlackBoxOptions } from "../options.js";
import { providerTraits } from "../registry.js";
import type { BlackBox, CompletionRequest } from "../types.js";
import type { ActiveBatch, BatchEvent, BatchProviderName } from "./types.js";

export { BATCH_DEFAULTS } from "../settings.js";
export { BatchCancelledError, BatchRequestError } from "./errors.js";

/** Options of {@link createBatchBlackBox}: the black-box options plus the batch settings. */
export interface BatchBlackBoxOptions extends BlackBoxOptions, BatchModeOptions {}

/** A black box in batch mode: the black box plus its batches (progress, interrupt message, cancel). */
export interface BatchBlackBox extends BlackBox {
  /** The provider's name ("openai"). */
  readonly providerName: string;
  readonly model: string;
  /** Batch prices as a fraction of the price table (read by BudgetedBlackBox for worst cases). */
  readonly priceFactor: number | undefined;
  /** The custom id (= response-cache key) of `request`. */
  keyOf(request: CompletionRequest): string;
  isCached(request: CompletionRequest): boolean;
  /** Batches this session follows that have not ended, for a progress line or the interrupt message. */
  activeBatches(): ActiveBatch[];
  /** Requests queued for the next batch (not yet submitted). */
  queued(): number;
  /** Listen to batch progress; returns the function that stops listening. */
  subscribe(listener: (e: BatchEvent) => void): () => void;
  /**
   * Cancel, at the provider, every batch this session follows, and drop the queue (those calls reject
   * with BatchCancelledError at once). Returns the ids of the batches asked to cancel.
   */
  cancel(): Promise<string[]>;
}

/**
 * Create the batch black box for `modelId` ("openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest";
 * any OpenAI-compatible base URL implementing /files and /batches): a provider that declares a Batch API.
 * Key and base URL are checked as `createBlackBox` checks them: a missing key is an AuthenticationError, a
 * bad URL a UserError; a provider without a Batch API is a UserError.
 */
export function createBatchBlackBox(modelId: string, options: BatchBlackBoxOptions = {}): BatchBlackBox {
  const {
    store,
    batchPriceFactor,
    batchPollMs,
    batchMaxRetries,
    idleMs,
    maxBatchRequests,
    onBatchEvent,
    api,
    ...rest
  } = options;
  return openBlackBox(modelId, rest, {
    store,
    batchPriceFactor,
    batchPollMs,
    batchMaxRetries,
    idleMs,
    maxBatchRequests,
    onBatchEvent,
    api,
  });
}

/** The batch black box behind `bb`, when it is one (the CLI draws its progress and offers cancel). */
export function asBatchBlackBox(bb: unknown): BatchBlackBox | undefined {
  const w = bb as Partial<WrappedBlackBox> | undefined;
  return w && typeof w === "object" && w.batching === true ? (w as WrappedBlackBox) : undefined;
}

/**
 * A shell command that cancels batch `batchId` at the provider (for the interrupt message), as the
 * provider module declares it. The key is named by its environment variable, never included.
 */
export function cancelCommand(provider: BatchProviderName, batchId: string, baseURL?: string): string {
  const command = providerTraits(provider).cancelBatchCommand;
  if (!command) throw new Error(`provider ${provider} has no batch API`);
  return command(batchId, baseURL);
}
