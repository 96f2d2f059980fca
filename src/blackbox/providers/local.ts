/**
 * The "local" provider: a local instruct model (folder path or hf: id) run through the generator
 * runtime (chat template, greedy decoding), so the whole pipeline runs with no API key.
 * Temperature is ignored (always greedy).
 *
 * Requests are batched (src/generator/batch-scheduler.ts): those that arrive within `batchWaitMs` of
 * each other, up to `batchSize`, are decoded together, and prompts sharing a prefix (one candidate's
 * validation queries: same template and instruction, different inputs) compute it once
 * (src/generator/batch-decode.ts); recent prefixes are kept across batches. fp32 answers are those of
 * one-at-a-time decoding. The black-box layer's default concurrency for local: targets is the batch
 * size, so a full batch can form.
 *
 * Timeouts: the client's timer starts when it hands a request over, but a request may first wait for
 * the batch under way. A client timeout (TimeoutError) that fires while the request is queued is
 * ignored; instead each request gets `timeoutMs` counted from the start of its batch (it leaves the
 * batch and rejects with a TimeoutError once that has passed). Other aborts remove a queued request at
 * once (it is never decoded) and drop a running one at its next token.
 *
 * Deterministic batches: requests naming a batch group (`batchGroup`: one evaluation's queries) are
 * decoded as batches of their own group, in index order, whatever the timing (the scheduler's batch
 * groups). On by default for variants with dynamically quantised activations (q8, q4 ...: one scale per
 * tensor over the whole batch), whose answers then depend only on the requests; those variants also keep
 * no prefix across batches (a prefix computed in two passes quantises differently from one computed in
 * one), only within a batch. fp32/fp16 answers do not depend on the batch, so they batch by arrival.
 *
 * Variant: with no dtype given, fp32 (onnx/model.onnx); "auto" picks q8 (onnx/model_quantized.onnx)
 * when the model has it, else fp32.
 */
import { LOCAL_BATCH_SIZE } from "../../generator/batch-limits.js";
import { BatchScheduler, type ScheduledJob } from "../../generator/batch-scheduler.js";
import { type BatchCompletion, type LocalModel, openLocalModel } from "../../generator/local-model.js";
import { PrefixKvCache } from "../../generator/prefix-cache.js";
import { UserError } from "../../util/errors.js";
import { TimeoutError } from "../errors.js";
import type { CompletionRequest, Provider, ProviderResponse } from "../types.js";

/** Settings of the local provider (also read from BlackBoxOptions.providerOptions). */
export interface LocalProviderOptions {
  /**
   * ONNX variant (fp32, fp16, q8, q4 ..., or "auto": q8 when the model has it, else fp32); default fp32
   * here, where batched fp32 answers equal one-at-a-time answers. A run passes its `generatorDtype`,
   * "auto" by default: q8 ran the default command 1.55x faster end to end (npm run bench:zero-config). q8
   * quantises activations per tensor, so a q8 answer depends on the other requests of its batch; with
   * batch groups (on by default for quantised variants) its batches, hence its answers, are deterministic.
   */
  dtype?: string;
  /** Hub revision for hf: ids. */
  revision?: string;
  /** ORT intra-op threads. */
  threads?: number;
  /** Default max new tokens when a request sets none (default 128). */
  maxTokens?: number;
  /** Requests decoded together at most (default 40, LOCAL_BATCH_SIZE; 1: one at a time). */
  batchSize?: number;
  /** Wait for more requests after the first of a batch arrives, ms (default 5). */
  batchWaitMs?: number;
  /** Share the KV cache of common prompt prefixes within and across batches (default true). */
  prefixReuse?: boolean;
  /**
   * Decode each batch group (CompletionRequest.batchGroup) as batches of its own, whatever the timing
   * (default: true for quantised variants, false for fp32/fp16; see the module comment).
   */
  groupBatches?: boolean;
  /** The black box's concurrency limit: a batch group that cannot complete runs once this many wait. */
  concurrency?: number;
  /** Per-request timeout counted from the start of its batch, ms (default: the black box's timeout; none). */
  timeoutMs?: number;
  /** Extra settings given by the black-box layer (its providerOptions are read from here). */
  providerOptions?: Record<string, unknown>;
}

/** Read the generator settings from the options, where providerOptions takes precedence. */
function settingsOf(options: LocalProviderOptions): LocalProviderOptions {
  const p = options.providerOptions ?? {};
  const pick = <T>(k: string, fallback: T): T => (p[k] === undefined ? fallback : (p[k] as T));
  return {
    dtype: pick("dtype", options.dtype),
    revision: pick("revision", options.revision),
    threads: pick("threads", options.threads),
    maxTokens: pick("maxTokens", options.maxTokens),
    batchSize: pick("batchSize", options.batchSize),
    batchWaitMs: pick("batchWaitMs", options.batchWaitMs),
    prefixReuse: pick("prefixReuse", options.prefixReuse),
    groupBatches: pick("groupBatches", options.groupBatches),
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
  };
}

type Job = ScheduledJob<CompletionRequest, ProviderResponse>;

/** Provider over an opened local model: requests are batched. */
class LocalProvider implements Provider {
  readonly provider = "local";
  readonly scheduler: BatchScheduler<CompletionRequest, ProviderResponse>;
  /** Prefixes kept across batches (null: none). */
  readonly prefixCache: PrefixKvCache | null;
  /** Share prefixes within a batch. */
  private readonly sharePrefix: boolean;
  /** Batch groups honoured (deterministic batches). */
  readonly groupBatches: boolean;

  constructor(
    readonly model: string,
    readonly local: LocalModel,
    private readonly defaultMaxTokens: number,
    s: LocalProviderOptions,
  ) {
    const quantised = isQuantised(local.dtype);
    this.groupBatches = s.groupBatches ?? quantised;
    this.sharePrefix = s.prefixReuse !== false;
    // a quantised prefix computed in two passes differs from one computed in one: deterministic
    // batches of a quantised model keep none across batches
    this.prefixCache = this.sharePrefix && !(quantised && this.groupBatches) ? new PrefixKvCache() : null;
    const timeoutMs = s.timeoutMs;
    this.scheduler = new BatchScheduler((jobs) => this.runBatch(jobs, timeoutMs), {
      maxBatch: s.batchSize ?? LOCAL_BATCH_SIZE,
      maxWaitMs: s.batchWaitMs ?? 5,
      keepOnAbort: (reason) => reason instanceof TimeoutError,
      stallAt: s.concurrency ?? LOCAL_BATCH_SIZE,
    });
  }

  complete(request: CompletionRequest, options: { signal: AbortSignal }): Promise<ProviderResponse> {
    const group = this.groupBatches ? request.batchGroup : undefined;
    return this.scheduler.submit(request, options.signal, group);
  }

  private async runBatch(all: Job[], timeoutMs: number | undefined): Promise<void> {
    // a request that cannot be templated or tokenised fails alone, not its batch
    const jobs = all.filter((j) => {
      try {
        this.local.chatIds(j.input.prompt, j.input.system);
        return true;
      } catch (err) {
        j.reject(err);
        return false;
      }
    });
    if (jobs.length === 0) return;
    const late = (j: Job) => timeoutMs !== undefined && performance.now() - j.startedAt > timeoutMs;
    const dropped = (j: Job) =>
      (j.signal?.aborted === true && !(j.signal.reason instanceof TimeoutError)) || late(j);
    const settle = (j: Job, c: BatchCompletion) => {
      if (c.end !== "cancelled")
        return j.resolve({ text: c.text, usage: { inputTokens: c.promptTokens, outputTokens: c.newTokens } });
      if (late(j))
        return j.reject(
          new TimeoutError(`local:${this.model}: no answer within ${timeoutMs} ms of the start of its batch`),
        );
      j.reject(j.signal?.reason ?? new Error("aborted"));
    };
    await this.local.completeBatch(
      jobs.map((j) => ({
        prompt: j.input.prompt,
        system: j.input.system,
        maxNewTokens: j.input.maxTokens ?? this.defaultMaxTokens,
        stop: j.input.stop,
        cancelled: () => dropped(j),
      })),
      {
        sharePrefix: this.sharePrefix,
        prefixCache: this.prefixCache,
        onDone: (i, c) => settle(jobs[i], c),
      },
    );
  }

  async close(): Promise<void> {
    await this.scheduler.idle();
    await this.local.close();
  }
}

/** True for ONNX variants with dynamically quantised activations (everything but fp32 and fp16). */
export function isQuantised(dtype: string): boolean {
  return dtype !== "fp32" && dtype !== "fp16";
}

/**
 * Create the local provider for `model` (a folder path or hf:org/name). Loads the model and
 * prepares its graphs once (cached beside the model files).
 */
export async function createLocalProvider(
  model: string,
  options: LocalProviderOptions = {},
): Promise<Provider> {
  if (!model.trim())
    throw new UserError('local provider: empty model name (use "local:PATH" or "local:hf:org/name")');
  const s = settingsOf(options);
  const batchSize = s.batchSize ?? LOCAL_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UserError(`local provider: batchSize must be an integer >= 1, got ${s.batchSize}`);
  const local = await openLocalModel(model, {
    dtype: s.dtype ?? "fp32",
    revision: s.revision,
    threads: s.threads,
  });
  return new LocalProvider(model, local, s.maxTokens ?? 128, s);
}
