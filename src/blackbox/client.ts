/**
 * The black box: one wrapper around every provider that owns the cross-cutting concerns, in one
 * place: concurrency limit, retries (exponential backoff + full jitter, Retry-After honoured),
 * per-request timeout, the persistent response cache, and token / dollar accounting.
 *
 *   complete(request)
 *     -> persistent cache hit?            (no request, cost 0)
 *     -> identical request in flight?     (share its answer, cost 0)
 *     -> limiter slot -> attempt loop: provider.complete with timeout signal
 *          transient error -> wait (Retry-After or backoff) -> next attempt, at most maxRetries
 *          other error     -> throw at once
 *     -> write to cache, account tokens and cost
 *
 * Once a request is refused with 401/403 (AuthenticationError), the key is known to be bad: every
 * later or queued call of this black box rejects at once with an AuthenticationError, no request sent.
 * Messages of every error thrown from here are scrubbed of URL credentials.
 */
import { UserError } from "../util/errors.js";
import { redactUrl } from "../util/redact.js";
import { Rng } from "../util/rng.js";
import { cacheKey, defaultCachePath, ResponseCache } from "./cache.js";
import { AuthenticationError, BlackBoxError, isTransient, retryAfterOf, TimeoutError } from "./errors.js";
import { Limiter } from "./limiter.js";
import { type BlackBoxEvent, type BlackBoxOptions, DEFAULTS, type RateTicket } from "./options.js";
import { estimateCost, type PriceTable, resolvePrices } from "./pricing.js";
import "./providers/anthropic.js";
import { LOCAL_BATCH_SIZE } from "./providers/lazy-local.js";
import "./providers/openai.js";
import { type BlackBoxFunction, functionProvider } from "./providers/function.js";
import { parseModelId, providerFactory } from "./registry.js";
import { type BackoffOptions, sleep as realSleep, retryDelayMs } from "./retry.js";
import type {
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
  const { provider, model } = parseModelId(modelId);
  const factory = providerFactory(provider);
  const env = options.env ?? process.env;
  // The local provider decodes up to LOCAL_BATCH_SIZE requests together: by default that many are
  // let in at once (its timeout of a request counts from the start of that request's batch).
  const settings = resolveSettings(
    provider === "local" && options.concurrency === undefined
      ? { ...options, concurrency: LOCAL_BATCH_SIZE }
      : options,
  );
  const prices = resolvePrices(options.prices, env);
  // The cache first: a damaged file is reported before a provider (maybe a local model) is loaded.
  const cache =
    options.cache === false ? undefined : new ResponseCache(defaultCachePath(env, options.cachePath));
  let made: Provider | Promise<Provider>;
  try {
    made = factory(model, { ...options, env, timeoutMs: settings.timeoutMs });
  } catch (err) {
    cache?.close();
    throw err;
  }
  return new WrappedBlackBox(`${provider}:${model}`, provider, model, made, cache, prices, settings, options);
}

/** Usage totals of a black box that has done nothing yet. */
export function emptyUsageTotals(): Required<UsageTotals> {
  return {
    completions: 0,
    requests: 0,
    cacheHits: 0,
    retries: 0,
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
  return new WrappedBlackBox(
    `function:${name}`,
    "function",
    name,
    functionProvider(fn, name),
    cache,
    resolvePrices(options.prices, env),
    settings,
    options,
  );
}

interface Settings {
  concurrency: number;
  maxRetries: number;
  timeoutMs: number;
  temperature: number;
  maxTokens: number | undefined;
  backoff: BackoffOptions;
}

function resolveSettings(o: BlackBoxOptions): Settings {
  const int = (name: string, v: number | undefined, def: number, min: number) => {
    const x = v ?? def;
    if (!Number.isInteger(x) || x < min)
      throw new UserError(`black-box option ${name} must be an integer >= ${min}, got ${v}`);
    return x;
  };
  const num = (name: string, v: number | undefined, def: number, min: number) => {
    const x = v ?? def;
    if (typeof x !== "number" || !Number.isFinite(x) || x < min) {
      throw new UserError(`black-box option ${name} must be a number >= ${min}, got ${v}`);
    }
    return x;
  };
  return {
    concurrency: int("concurrency", o.concurrency, DEFAULTS.concurrency, 1),
    maxRetries: int("maxRetries", o.maxRetries, DEFAULTS.maxRetries, 0),
    timeoutMs: num("timeoutMs", o.timeoutMs, DEFAULTS.timeoutMs, 1),
    temperature: num("temperature", o.temperature, DEFAULTS.temperature, 0),
    maxTokens: o.maxTokens === undefined ? undefined : int("maxTokens", o.maxTokens, 0, 1),
    backoff: {
      initialDelayMs: num("retryInitialDelayMs", o.retryInitialDelayMs, DEFAULTS.retryInitialDelayMs, 0),
      maxDelayMs: num("retryMaxDelayMs", o.retryMaxDelayMs, DEFAULTS.retryMaxDelayMs, 0),
      maxWaitMs: num("maxWaitMs", o.maxWaitMs, DEFAULTS.maxWaitMs, 0),
    },
  };
}

class WrappedBlackBox implements BlackBox {
  private provider: Provider | undefined;
  private readonly providerReady: Promise<Provider>;
  private readonly limiter: Limiter;
  private readonly rng: Rng;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly inflight = new Map<string, Promise<ProviderResponse>>();
  private readonly t = emptyUsageTotals();
  private calls = 0;
  private closed = false;
  /** The first 401/403 seen: from then on no request is sent. */
  private refused: AuthenticationError | undefined;

  constructor(
    readonly id: string,
    private readonly providerName: string,
    private readonly model: string,
    made: Provider | Promise<Provider>,
    private readonly cache: ResponseCache | undefined,
    private readonly prices: PriceTable,
    private readonly s: Settings,
    private readonly options: BlackBoxOptions,
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
    this.limiter = new Limiter(s.concurrency);
    this.rng = new Rng(options.seed ?? 0);
    this.sleep = options.sleep ?? ((ms) => realSleep(ms));
  }

  /** True when the response cache holds the answer to `request` (nothing would be paid). */
  isCached(request: CompletionRequest): boolean {
    if (!this.cache || !this.provider || this.closed) return false;
    return this.cache.get(this.keyOf(this.provider, request)) !== undefined;
  }

  private keyOf(provider: Provider, request: CompletionRequest): string {
    return cacheKey({
      provider: this.providerName,
      baseURL: provider.baseURL,
      model: this.model,
      params: this.params(request),
      prompt: provider.cacheText ? provider.cacheText(request) : request.prompt,
    });
  }

  async complete(request: CompletionRequest, options: CompleteOptions = {}): Promise<Completion> {
    if (this.closed) throw new Error(`black box ${this.id} is closed`);
    if (typeof request?.prompt !== "string")
      throw new TypeError("complete(): request.prompt must be a string");
    if (this.refused) throw this.refusedError();
    const callId = `${this.id}#${++this.calls}`;
    const provider = this.provider ?? (await this.providerReady);
    const params = this.params(request);
    const full: CompletionRequest = { prompt: request.prompt, ...params };
    if (request.parts) full.parts = { ...request.parts };
    const key = this.keyOf(provider, request);

    const stored = this.cache?.get(key);
    if (stored) return this.hit(callId, stored);
    // With the cache on, an identical request already in flight is shared (it would be a hit a
    // moment later anyway); with the cache off every call is its own request.
    const pending = this.cache ? this.inflight.get(key) : undefined;
    if (pending) return this.hit(callId, await pending);

    // A call queued behind the request that got a 401/403 is refused when its slot comes.
    // A call whose caller gave up (options.signal: the run was interrupted) is not sent when its slot comes.
    const run = this.limiter.run(async () => {
      if (this.refused) throw this.refusedError();
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
      // a shared rate limit (requests / tokens per minute across processes): wait for room
      const ticket = this.options.rateLimiter ? await this.rateLimit(full, options.signal) : undefined;
      if (this.refused) throw this.refusedError();
      options.onSend?.();
      return this.attempts(callId, provider, full, key, ticket);
    });
    if (this.cache) this.inflight.set(key, run);
    try {
      const res = await run;
      const known = (res as { costUsd?: number }).costUsd;
      const { costUsd, priced } =
        known !== undefined
          ? { costUsd: known, priced: true }
          : estimateCost(this.id, res.usage, this.prices);
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache?.close();
    const p = this.provider ?? (await this.providerReady.catch(() => undefined));
    await p?.close?.();
  }

  /** Request parameters with the black box's defaults filled in; undefined fields dropped. */
  private params(r: CompletionRequest): CompletionParams {
    const p: CompletionParams = { temperature: r.temperature ?? this.s.temperature };
    const maxTokens = r.maxTokens ?? this.s.maxTokens;
    if (maxTokens !== undefined) p.maxTokens = maxTokens;
    if (r.stop && r.stop.length > 0) p.stop = [...r.stop];
    if (r.system !== undefined && r.system !== "") p.system = r.system;
    return p;
  }

  private hit(callId: string, res: ProviderResponse): Completion {
    this.t.completions++;
    this.t.cacheHits++;
    this.emit({ type: "cache-hit", id: callId });
    return { text: res.text, usage: { ...res.usage }, costUsd: 0, cached: true };
  }

  /** A fresh error for a call refused because the key was refused earlier (no request sent). */
  private refusedError(): AuthenticationError {
    const first = this.refused as AuthenticationError;
    return new AuthenticationError(
      `${this.id}: request not sent: an earlier request was refused (the API key was rejected), so ` +
        `this black box sends no more requests. ${first.message}`,
      { status: first.status, cause: first },
    );
  }

  /** The attempt loop: at most maxRetries + 1 requests; only transient errors are retried. */
  private async attempts(
    callId: string,
    provider: Provider,
    request: CompletionRequest,
    key: string,
    firstTicket?: RateTicket | undefined,
  ): Promise<ProviderResponse> {
    for (let attempt = 0; ; attempt++) {
      if (this.refused) throw this.refusedError(); // refused while this call waited to retry
      const ticket =
        attempt === 0 ? firstTicket : this.options.rateLimiter ? await this.rateLimit(request) : undefined;
      // the rate limit counts the request from now, when it leaves (not from when it was admitted)
      ticket?.sent();
      this.t.requests++;
      this.emit({ type: "request", id: callId, attempt });
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new TimeoutError(`${this.id}: no response within ${this.s.timeoutMs} ms`)),
        this.s.timeoutMs,
      );
      let failure: unknown;
      try {
        const res = await provider.complete(request, { signal: controller.signal });
        if (typeof res?.text !== "string") throw new TypeError(`${this.id}: provider returned no text`);
        this.cache?.put(key, { provider: this.providerName, model: this.model }, res);
        return res;
      } catch (err) {
        failure = err;
        const reason: unknown = controller.signal.reason;
        if (!(err instanceof BlackBoxError) && controller.signal.aborted && reason instanceof BlackBoxError) {
          failure = reason;
        }
      } finally {
        clearTimeout(timer);
      }
      scrub(failure);
      if (failure instanceof AuthenticationError && !this.refused) this.refused = failure;
      if (!isTransient(failure) || attempt >= this.s.maxRetries) {
        if (failure instanceof BlackBoxError && attempt > 0) {
          failure.message = `${failure.message} (gave up after ${attempt + 1} attempts)`;
        }
        throw failure;
      }
      const hint = retryAfterOf(failure);
      const delayMs = retryDelayMs(attempt, hint, this.s.backoff, this.rng);
      this.t.retries++;
      const e = failure as BlackBoxError;
      this.emit({ type: "retry", id: callId, attempt, error: e.message, errorName: e.name, delayMs });
      this.emit({
        type: "wait",
        id: callId,
        delayMs,
        reason: hint === undefined ? "backoff" : "retry-after",
      });
      await this.sleep(delayMs);
    }
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

/** Remove URL credentials from the message and stack of a thrown error (a last line of defence). */
function scrub(err: unknown): void {
  if (!(err instanceof Error)) return;
  try {
    err.message = redactUrl(err.message);
    if (typeof err.stack === "string") err.stack = redactUrl(err.stack);
  } catch {
    // a frozen error: nothing to do
  }
}
