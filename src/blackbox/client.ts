/**
 * The black box: ONE wrapper around every provider that owns the cross-cutting concerns, in one place:
 * settings, the persistent response cache, in-flight sharing of identical requests, refusal after a
 * 401/403, concurrency limit, retries (exponential backoff + full jitter, Retry-After honoured),
 * per-request timeout, and token / dollar accounting.
 *
 *   complete(request)
 *     -> persistent cache hit?            (no request, cost 0)
 *     -> identical request in flight?     (share its answer, cost 0)
 *     -> batch mode (the provider's Batch API, `Provider.batch`)?
 *          admitted once by the caller's budget, then handed to the batch dispatcher
 *          (./batch/dispatcher.ts): collected into one provider batch, submitted, polled, its answer
 *          routed back (at the batch price)
 *     -> otherwise: claim the key in the cache's database (another process answering it: wait for its
 *        answer instead) -> limiter slot -> attempt loop:
 *          admitted by the caller's budget (`options.attempts`) and logged at its worst case
 *          -> provider.complete with timeout signal
 *          answer          -> settled at the usage the provider reports
 *          transient error -> settled (timeout / lost connection: possibly billed, kept at its worst
 *                             case; error answer: nothing) -> wait (Retry-After or backoff) -> next
 *                             attempt, at most maxRetries
 *          other error     -> throw at once
 *     -> write to cache (then release the claim), account tokens and cost
 *
 * Once a request is refused with 401/403 (AuthenticationError), the key is known to be bad: every
 * later or queued call of this black box rejects at once with an AuthenticationError, no request sent.
 * Likewise, once a call fails for good with an error that halts the black box (./errors.ts ERROR_TABLE:
 * connection refused, not JSON, 404, retries exhausted...), every queued call, call waiting to retry and
 * attempt under way rejects at once with a HaltedError naming that first error: nothing more is sent.
 * The caller's signal (the run's stop) drops queued calls and calls waiting to retry; attempts under
 * way finish.
 * Messages of every error thrown from here are scrubbed of URL credentials.
 */

import { exponentialBackoff, Limiter, sleep as realSleep, retry, type Sleep } from "../util/async/index.js";
import { UserError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { gaveUp, mayBeBilled, scrub, withTimeout } from "./attempt.js";
import { BatchDispatcher } from "./batch/dispatcher.js";
import { normalizeRequest } from "./batch/request.js";
import type { ActiveBatch, BatchEvent } from "./batch/types.js";
import { cacheKey, defaultCachePath, ResponseCache } from "./cache.js";
import { claimLeaseMs, DEFAULT_CLAIM_POLL_MS, RequestClaims } from "./claims.js";
import { type BlackBoxError, HaltedError, haltsBlackBox, isTransient, retryAfterOf } from "./errors.js";
import type { BatchModeOptions, BlackBoxEvent, BlackBoxOptions, RateTicket } from "./options.js";
import { estimateCost, type PriceTable, resolvePrices } from "./pricing.js";
// the built-in providers register themselves (in this order: it is the order messages list them in)
import "./providers/openai.js";
import "./providers/anthropic.js";
import "./providers/lazy-local.js";
import { sharedAbortController } from "../util/async/signal.js";
import { type BlackBoxFunction, functionProvider } from "./providers/function.js";
import { Refusal } from "./refusal.js";
import { batchProviders, parseModelId, providerFactory, providerTraits } from "./registry.js";
import { resolveBatchSettings, resolveSettings, type Settings } from "./settings.js";
import type {
  AdmittedAttempt,
  BlackBox,
  CompleteOptions,
  Completion,
  CompletionParams,
  CompletionRequest,
  Provider,
  ProviderResponse,
  UsageTotals,
} from "./types.js";

/**
 * Create the black box for `modelId` ("openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest",
 * "local:PATH"). Throws UserError for an unknown provider or bad option, AuthenticationError for
 * a missing key (before any request).
 */
export function createBlackBox(modelId: string, options: BlackBoxOptions = {}): BlackBox {
  return openBlackBox(modelId, options);
}

/**
 * The black box for `modelId`, in batch mode when `batch` is given (its provider must declare a Batch
 * API: UserError otherwise, naming the providers that do).
 */
export function openBlackBox(
  modelId: string,
  options: BlackBoxOptions,
  batch?: BatchModeOptions,
): WrappedBlackBox {
  const { provider, model } = parseModelId(modelId);
  const factory = providerFactory(provider);
  // batch mode needs a provider that declares a Batch API (checked before anything is built or loaded)
  if (batch && !batchProviders().includes(provider)) throw noBatchApi(provider, model);
  const env = options.env ?? process.env;
  // A provider may let more requests in at once by default (local models: their decoding batch size;
  // the timeout of a request counts from the start of that request's batch).
  const settings = resolveSettings(options, providerTraits(provider).defaultConcurrency);
  const batchSettings = batch ? resolveBatchSettings(batch) : undefined;
  const prices = resolvePrices(options.prices, env);
  const made = (cache: ResponseCache | undefined) => {
    try {
      return factory(model, { ...options, env, timeoutMs: settings.timeoutMs });
    } catch (err) {
      cache?.close();
      throw err;
    }
  };
  if (batch) {
    // the provider checks key and URL exactly as for a non-batch run, and names the custom base URL
    // that is part of every cache key
    const p = made(undefined);
    if (p instanceof Promise) p.catch(() => {}); // not used: its failure is not this call's
    if (p instanceof Promise || !p.batch) throw noBatchApi(provider, model);
    const cache = openCache(options, env);
    return new WrappedBlackBox(`${provider}:${model}`, provider, model, p, cache, prices, settings, options, {
      ...batch,
      settings: batchSettings!,
    });
  }
  // The cache first: a damaged file is reported before a provider (maybe a local model) is loaded.
  const cache = openCache(options, env);
  return new WrappedBlackBox(
    `${provider}:${model}`,
    provider,
    model,
    made(cache),
    cache,
    prices,
    settings,
    options,
  );
}

function openCache(options: BlackBoxOptions, env: NodeJS.ProcessEnv): ResponseCache | undefined {
  return options.cache === false ? undefined : new ResponseCache(defaultCachePath(env, options.cachePath));
}

/** The error of batch mode on a provider without a Batch API, naming those that have one. */
function noBatchApi(provider: string, model: string): UserError {
  const names = batchProviders().map((n) => `${n}:`);
  const list = names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return new UserError(
    `--batch-api works with ${list} targets (their batch endpoints); ${provider}:${model} has none`,
  );
}

/** Usage totals of a black box that has done nothing yet. */
export function emptyUsageTotals(): Required<UsageTotals> {
  return {
    completions: 0,
    requests: 0,
    cacheHits: 0,
    retries: 0,
    abandoned: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    priced: true,
  };
}

/** Options of {@link createFunctionBlackBox}. */
export interface FunctionBlackBoxOptions
  extends Omit<BlackBoxOptions, "apiKey" | "baseURL" | "providerOptions" | "env"> {
  /**
   * Cache identity: answers are cached under it, so change it whenever the pipeline changes
   * ("my-pipeline@3"). Without it nothing is cached.
   */
  id?: string;
  /**
   * How messages (timeouts, bad answers, a halt) name it [`function:<id>`]; the CLI passes
   * `black-box module <file>` so that a message names the file, not the module's hash.
   */
  label?: string;
}

/**
 * The user's own pipeline as a black box: `fn({ instruction, input, signal })` returns the answer
 * (a string, or `{ text, usage }` with tokens and dollars when known). It gets the same concurrency
 * limit, timeout, retries (of errors it marks transient: {@link TransientError} or `transient: true`),
 * accounting and, with an `id`, response cache as the API providers. Its id is `function:<id>`.
 */
export function createFunctionBlackBox(
  fn: BlackBoxFunction,
  options: FunctionBlackBoxOptions = {},
): BlackBox {
  if (options.id !== undefined && (typeof options.id !== "string" || options.id.trim() === "")) {
    throw new UserError("blackBoxId must be a non-empty string");
  }
  const name = options.id ?? "anonymous";
  const settings = resolveSettings(options);
  const env = process.env;
  const cache =
    options.cache === false || options.id === undefined
      ? undefined
      : new ResponseCache(defaultCachePath(env, options.cachePath));
  const box = new WrappedBlackBox(
    `function:${name}`,
    "function",
    name,
    functionProvider(fn, options.label ?? name),
    cache,
    resolvePrices(options.prices, env),
    settings,
    options,
  );
  if (options.label !== undefined) box.label = options.label;
  return box;
}

/** What an admitted request came back with: the answer, and whether this call paid for it. */
interface Answered {
  /** Function black boxes may report the dollars of their answer (`costUsd`). */
  response: ProviderResponse;
  /**
   * False for answers of a provider batch an earlier session paid for, and for answers another process
   * paid for while this one waited on its claim (served as cache hits).
   */
  paid: boolean;
}

/** The one black box; see the module comment. */
export class WrappedBlackBox implements BlackBox {
  /** True when answers carry their own dollar cost (function black boxes). */
  readonly selfPriced: boolean;
  private provider: Provider | undefined;
  private readonly providerReady: Promise<Provider>;
  private readonly limiter: Limiter;
  private readonly rng: Rng;
  private readonly sleep: Sleep;
  private readonly refusal: Refusal;
  private readonly inflight = new Map<string, Promise<Answered>>();
  private readonly t = emptyUsageTotals();
  /** Batch mode: where admitted requests go instead of one-at-a-time sends. */
  private readonly dispatcher: BatchDispatcher | undefined;
  private calls = 0;
  private closed = false;
  /** Aborted (with a HaltedError) once a call failed for good with an error that halts; see haltOn. */
  private readonly halt = sharedAbortController();
  private haltedBy: Error | undefined;
  /** Errors an attempt's request failed with (only those may halt: not a budget's or caller's stop). */
  private readonly failedRequests = new WeakSet<object>();
  /** Requests in flight shared with other processes through the cache's database (./claims.ts). */
  private readonly claims: RequestClaims | undefined;
  private readonly leaseMs: number;
  /** Every attempt goes through the caller's budget (`options.attempts`), see CompleteOptions. */
  readonly admitsAttempts = true;
  /** How messages name this black box [its id]. */
  label: string;

  constructor(
    readonly id: string,
    /** The provider's name ("openai"). */
    readonly providerName: string,
    readonly model: string,
    made: Provider | Promise<Provider>,
    private readonly cache: ResponseCache | undefined,
    private readonly prices: PriceTable,
    private readonly s: Settings,
    private readonly options: BlackBoxOptions,
    batch?: BatchModeOptions & { settings: ReturnType<typeof resolveBatchSettings> },
  ) {
    if (made instanceof Promise) {
      this.providerReady = made.then((p) => {
        this.provider = p;
        return p;
      });
      this.providerReady.catch(() => {}); // surfaced by complete(); avoid an unhandled rejection
    } else {
      this.provider = made;
      this.providerReady = Promise.resolve(made);
    }
    this.label = id;
    this.selfPriced = !(made instanceof Promise) && made.selfPriced === true;
    this.limiter = new Limiter(s.concurrency);
    this.rng = new Rng(options.seed ?? 0);
    this.sleep = options.sleep ?? ((ms, signal) => realSleep(ms, signal));
    this.refusal = new Refusal(id);
    this.leaseMs = claimLeaseMs(options.claimLeaseMs, options.env ?? process.env);
    this.claims =
      cache?.claims && !batch
        ? new RequestClaims(cache, this.leaseMs, options.claimPollMs ?? DEFAULT_CLAIM_POLL_MS)
        : undefined;
    if (batch && !(made instanceof Promise) && made.batch) {
      const capability = made.batch;
      this.dispatcher = new BatchDispatcher({
        id,
        provider: providerName,
        model,
        api: batch.api ?? capability.api(),
        maxBatch: Math.max(1, batch.maxBatchRequests ?? capability.maxRequests),
        store: batch.store,
        cache,
        refusal: this.refusal,
        settings: s,
        batch: batch.settings,
        rng: this.rng,
        sleep: this.sleep,
        onBatchEvent: batch.onBatchEvent,
        sent: (callId, attempt) => {
          if (attempt > 0) this.t.retries++;
          this.t.requests++;
          this.emit({ type: "request", id: callId, attempt });
        },
      });
    }
  }

  /** Batch mode: the fraction of the price table paid (read by BudgetedBlackBox for worst cases). */
  get priceFactor(): number | undefined {
    return this.dispatcher?.priceFactor;
  }

  /** True in batch mode (`--batch-api`). */
  get batching(): boolean {
    return this.dispatcher !== undefined;
  }

  /** True when the response cache holds the answer to `request` (nothing would be paid). */
  isCached(request: CompletionRequest): boolean {
    if (!this.cache || !this.provider || this.closed) return false;
    return this.cache.get(this.keyOf(request)) !== undefined;
  }

  /** The response-cache key of `request` (in batch mode also its custom id). */
  keyOf(request: CompletionRequest): string {
    const provider = this.provider as Provider;
    return cacheKey({
      provider: this.providerName,
      baseURL: provider.baseURL,
      model: this.model,
      params: this.params(request),
      prompt: provider.cacheText ? provider.cacheText(request) : request.prompt,
    });
  }

  async complete(request: CompletionRequest, options: CompleteOptions = {}): Promise<Completion> {
    if (this.closed) throw new Error(`black box ${this.label} is closed`);
    if (typeof request?.prompt !== "string")
      throw new TypeError("complete(): request.prompt must be a string");
    this.refusal.check();
    this.checkHalt();
    const callId = `${this.id}#${++this.calls}`;
    const provider = this.provider ?? (await this.providerReady);
    const params = this.params(request);
    const full: CompletionRequest = { prompt: request.prompt, ...params };
    const key = this.keyOf(request);

    const stored = this.cache?.get(key);
    if (stored) return this.hit(callId, stored);
    // With the cache on, an identical request already in flight is shared (it would be a hit a
    // moment later anyway); with the cache off every call is its own request (batch mode: its
    // dispatcher shares identical requests always).
    const pending = this.cache ? this.inflight.get(key) : undefined;
    if (pending) return this.hit(callId, (await pending).response);

    const run = this.dispatcher
      ? this.batched(callId, key, full, options)
      : this.claimAndSend(
          callId,
          provider,
          {
            ...full,
            ...(request.parts ? { parts: { ...request.parts } } : {}),
            ...(request.batchGroup ? { batchGroup: request.batchGroup } : {}),
          },
          key,
          options,
        );
    if (this.cache) this.inflight.set(key, run);
    try {
      const { response: res, paid } = await run;
      if (!paid) return this.hit(callId, res);
      const { costUsd, priced } = this.costOf(res);
      this.t.completions++;
      this.t.inputTokens += res.usage.inputTokens;
      this.t.outputTokens += res.usage.outputTokens;
      this.t.costUsd += costUsd;
      if (!priced) this.t.priced = false;
      this.emit({ type: "response", id: callId, usage: res.usage, costUsd });
      return { text: res.text, usage: { ...res.usage }, costUsd, cached: false };
    } finally {
      if (this.inflight.get(key) === run) this.inflight.delete(key);
    }
  }

  totals(): UsageTotals {
    return { ...this.t };
  }

  /** Resolves once the provider is built (a local model loaded); rejects with why it cannot be. */
  async ready(): Promise<void> {
    await this.providerReady;
  }

  /** Batch mode: provider batches this session follows that have not ended (progress, interrupt message). */
  activeBatches(): ActiveBatch[] {
    return this.dispatcher?.activeBatches() ?? [];
  }

  /** Batch mode: requests queued for the next batch (not yet submitted). */
  queued(): number {
    return this.dispatcher?.queued() ?? 0;
  }

  /** Batch mode: listen to batch progress; returns the function that stops listening. */
  subscribe(listener: (e: BatchEvent) => void): () => void {
    return this.dispatcher?.subscribe(listener) ?? (() => {});
  }

  /**
   * Batch mode: cancel, at the provider, every batch this session follows, and drop the queue (see
   * {@link BatchDispatcher.cancel}). Returns the ids of the batches asked to cancel.
   */
  cancel(): Promise<string[]> {
    return this.dispatcher?.cancel() ?? Promise.resolve([]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.claims?.close();
    this.dispatcher?.close();
    this.cache?.close();
    const p = this.provider ?? (await this.providerReady.catch(() => undefined));
    await p?.close?.();
  }

  /** The dollars of a paid answer: as reported (function black boxes), else by the price table. */
  private costOf(res: ProviderResponse): { costUsd: number; priced: boolean } {
    const known = (res as { costUsd?: number }).costUsd;
    return known !== undefined ? { costUsd: known, priced: true } : this.priced(res);
  }

  /**
   * Batch mode: the request admitted once by the caller's budget (a batch line is billed only when
   * answered), logged when it goes into a batch, settled with its answer.
   */
  private async batched(
    callId: string,
    key: string,
    full: CompletionRequest,
    options: CompleteOptions,
  ): Promise<Answered> {
    const attempt = options.attempts ? await options.attempts.admit() : undefined;
    let answered: Answered;
    try {
      answered = await (this.dispatcher as BatchDispatcher).enqueue(callId, key, full, {
        ...options,
        onSend: () => {
          attempt?.sent();
          options.onSend?.();
        },
      });
    } catch (err) {
      attempt?.unbilled();
      throw err;
    }
    if (answered.paid) attempt?.answered(answered.response.usage, this.costOf(answered.response).costUsd);
    else attempt?.unbilled();
    return answered;
  }

  /**
   * Share the request with other processes through the cache's database (see ./claims.ts): claim its
   * key and send it, or take the answer another process paid for while this one waited on its claim.
   */
  private async claimAndSend(
    callId: string,
    provider: Provider,
    full: CompletionRequest,
    key: string,
    options: CompleteOptions,
  ): Promise<Answered> {
    if (!this.claims) return this.sendOne(callId, provider, full, key, options);
    // at most about the time a claimant may take with its retries
    const maxWaitMs = (this.s.timeoutMs + this.s.backoff.maxDelayMs) * (this.s.maxRetries + 1) + this.leaseMs;
    const got = await this.claims.acquire(key, maxWaitMs, options.signal);
    if ("answer" in got) return { response: got.answer, paid: false };
    try {
      return await this.sendOne(callId, provider, full, key, options);
    } finally {
      got.release();
    }
  }

  /** The dollars of a paid answer by the price table (times the batch price factor in batch mode). */
  private priced(res: ProviderResponse): { costUsd: number; priced: boolean } {
    const est = estimateCost(this.id, res.usage, this.prices);
    const factor = this.dispatcher?.priceFactor;
    return factor === undefined ? est : { costUsd: est.costUsd * factor, priced: est.priced };
  }

  /** Request parameters with the black box's defaults filled in; undefined fields dropped. */
  private params(r: CompletionRequest): CompletionParams {
    const { prompt: _prompt, ...params } = normalizeRequest(r, this.s);
    return params;
  }

  private hit(callId: string, res: ProviderResponse): Completion {
    this.t.completions++;
    this.t.cacheHits++;
    this.emit({ type: "cache-hit", id: callId });
    // what the answer costs when it is paid: a candidate's cost per query does not depend on the cache
    const { costUsd: listUsd, priced } = this.costOf(res);
    return {
      text: res.text,
      usage: { ...res.usage },
      costUsd: 0,
      cached: true,
      ...(priced ? { listUsd } : {}),
    };
  }

  /**
   * One request sent alone: a limiter slot, then the attempt loop. A call queued behind the request that
   * got a 401/403 is refused when its slot comes; a call whose caller gave up (options.signal: the run
   * was interrupted) is not sent when its slot comes.
   */
  private sendOne(
    callId: string,
    provider: Provider,
    full: CompletionRequest,
    key: string,
    options: CompleteOptions,
  ): Promise<Answered> {
    return this.limiter.run(async () => {
      this.refusal.check();
      this.checkHalt();
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      try {
        return { response: await this.attempts(callId, provider, full, key, options), paid: true };
      } catch (err) {
        this.haltOn(err);
        throw err;
      }
    });
  }

  /** Throw the HaltedError when an earlier call halted this black box. */
  private checkHalt(): void {
    if (this.haltedBy) throw this.halted();
  }

  /** A fresh HaltedError naming the error that halted this black box. */
  private halted(): HaltedError {
    return new HaltedError(this.label, this.haltedBy as Error);
  }

  /** Halt on `err` (a call's final error) when the error table says so; see the module comment. */
  private haltOn(err: unknown): void {
    // a refused key is the Refusal's (queued calls get AuthenticationErrors naming the key)
    if (this.haltedBy || this.refusal.refused || err instanceof HaltedError) return;
    if (typeof err !== "object" || err === null || !this.failedRequests.has(err)) return;
    if (err instanceof Error && haltsBlackBox(err)) {
      this.haltedBy = err;
      this.halt.abort(this.halted());
    }
  }

  /**
   * The attempt loop: at most maxRetries + 1 requests; only transient errors are retried. Each attempt is
   * admitted by the caller's budget (it may wait, or stop the run), then waits for the shared rate limit,
   * is logged and sent, and is settled: answered (the usage the provider reports), abandoned (timeout,
   * lost connection, unreadable answer: the provider may have billed it) or unbilled (an error answer).
   */
  private attempts(
    callId: string,
    provider: Provider,
    request: CompletionRequest,
    key: string,
    options: CompleteOptions,
  ): Promise<ProviderResponse & { costUsd?: number }> {
    return retry(
      async (attempt) => {
        this.refusal.check(); // refused while this call waited to retry
        this.checkHalt();
        const admitted: AdmittedAttempt | undefined = options.attempts
          ? await options.attempts.admit()
          : undefined;
        let ticket: RateTicket | undefined;
        try {
          // a shared rate limit (requests / tokens per minute across processes): wait for room
          ticket = this.options.rateLimiter
            ? await this.rateLimit(request, attempt === 0 ? options.signal : undefined)
            : undefined;
          this.refusal.check();
          this.checkHalt();
        } catch (err) {
          admitted?.unbilled();
          throw err;
        }
        // logged (at its worst case) before it leaves; the rate limit counts it from now
        admitted?.sent();
        ticket?.sent();
        if (attempt === 0) options.onSend?.();
        this.t.requests++;
        this.emit({ type: "request", id: callId, attempt });
        let got: (ProviderResponse & { costUsd?: number }) | undefined;
        try {
          const res = await withTimeout(
            async (signal) => {
              const res = await provider.complete(request, { signal });
              got = res;
              if (typeof res?.text !== "string")
                throw new TypeError(`${this.label}: provider returned no text`);
              this.cache?.put(key, { provider: this.providerName, model: this.model }, res);
              return res;
            },
            this.s.timeoutMs,
            `${this.label}: no response within ${this.s.timeoutMs} ms`,
            this.halt.signal,
          );
          admitted?.answered(res.usage, this.costOf(res).costUsd);
          return res;
        } catch (err) {
          const usage = (got as ProviderResponse | undefined)?.usage;
          // answered, but unusable or not stored: billed at the usage it reports
          if (usage && typeof usage.inputTokens === "number" && typeof usage.outputTokens === "number")
            admitted?.answered(usage, this.costOf(got as ProviderResponse).costUsd);
          // sent, then stopped because another call halted the black box: the provider may bill it
          else if (got !== undefined || mayBeBilled(err) || err instanceof HaltedError) {
            this.t.abandoned++;
            admitted?.abandoned();
          } else admitted?.unbilled();
          scrub(err);
          this.refusal.note(err);
          if (typeof err === "object" && err !== null) this.failedRequests.add(err);
          throw err;
        }
      },
      {
        maxAttempts: this.s.maxRetries + 1,
        retryable: isTransient,
        retryAfter: retryAfterOf,
        backoff: exponentialBackoff(this.s.backoff, this.rng),
        sleep: this.sleep,
        // a wait to retry ends at once when the black box halts or the caller stops (the run's stop)
        signal: options.signal ? AbortSignal.any([this.halt.signal, options.signal]) : this.halt.signal,
        onRetry: ({ attempt, error, delayMs, retryAfterMs }) => {
          this.t.retries++;
          const e = error as BlackBoxError;
          this.emit({ type: "retry", id: callId, attempt, error: e.message, errorName: e.name, delayMs });
          this.emit({
            type: "wait",
            id: callId,
            delayMs,
            reason: retryAfterMs === undefined ? "backoff" : "retry-after",
          });
        },
        onGiveUp: (error, attempts) =>
          this.refusal.isRefusal(error) || gaveUp(error, `gave up after ${attempts} attempts`),
      },
    );
  }

  /**
   * Wait for the shared rate limit: a request counts its prompt's UTF-8 bytes / 4 (about its tokens)
   * plus its max answer tokens.
   */
  private async rateLimit(request: CompletionRequest, signal?: AbortSignal): Promise<RateTicket | undefined> {
    const bytes = Buffer.byteLength(request.prompt, "utf8") + Buffer.byteLength(request.system ?? "", "utf8");
    const tokens = Math.ceil(bytes / 4) + (request.maxTokens ?? 0);
    return this.options.rateLimiter?.acquire(this.id, tokens, signal);
  }

  private emit(event: BlackBoxEvent): void {
    if (!this.options.onEvent) return;
    try {
      this.options.onEvent(event);
    } catch {
      // a broken progress display must not break paid calls
    }
  }
}
