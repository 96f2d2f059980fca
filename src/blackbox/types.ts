/** Token usage of one completion. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** Sampling parameters sent with a prompt. Part of the cache key. */
export interface CompletionParams {
  /** Sampling temperature; the black-box layer defaults to 0. */
  temperature?: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
  /** Stop sequences. */
  stop?: string[];
  /** Optional system message. */
  system?: string;
}

/** One request: a user prompt (text in) plus parameters. */
export interface CompletionRequest extends CompletionParams {
  prompt: string;
  /**
   * The instruction and input the prompt was rendered from, when it is a scoring query. Function black
   * boxes (the user's own pipeline) receive these instead of the rendered prompt.
   */
  parts?: { instruction: string; input: string };
}

/** What a provider returns for one request (text out). */
export interface ProviderResponse {
  text: string;
  usage: Usage;
}

/**
 * A raw provider: one HTTP API (or local runtime) behind a single method. Providers throw the
 * typed errors of ./errors.ts and know nothing of retries, limits, caching or prices.
 */
export interface Provider {
  /** Provider id as used in model names: "openai", "anthropic", "local". */
  readonly provider: string;
  /** Model name without the provider prefix. */
  readonly model: string;
  /** Server base URL when it is not the provider's default; part of the cache key. */
  readonly baseURL?: string;
  complete(
    request: CompletionRequest,
    options: { signal: AbortSignal },
  ): Promise<
    ProviderResponse & {
      /** Dollars, when the provider knows them (function black boxes). */ costUsd?: number;
    }
  >;
  /** The request text the cache key is built from [the prompt] (function black boxes: instruction + input). */
  cacheText?(request: CompletionRequest): string;
  /** Release resources (sessions, sockets). Optional. */
  close?(): Promise<void>;
}

/** A completion as seen by callers of the black-box layer. */
export interface Completion extends ProviderResponse {
  /** Dollars charged for this call (0 when served from cache). */
  costUsd: number;
  /** True when the response came from the persistent cache (no request was issued). */
  cached: boolean;
}

/** Running totals for one black box. */
export interface UsageTotals {
  /** Completions returned (cached or not). */
  completions: number;
  /** Requests actually sent to the provider, retries included. */
  requests: number;
  /** Completions served from the cache. */
  cacheHits: number;
  /** Retries after transient errors. */
  retries: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** False once any completion was for a model missing from the price table (its cost counted as 0). */
  priced?: boolean;
}

/** Per-call options of {@link BlackBox.complete}. */
export interface CompleteOptions {
  signal?: AbortSignal;
  onSend?: () => void;
}

/** The black box every optimiser scores against: text in -> text out, with accounting. */
export interface BlackBox {
  /** "provider:model". */
  readonly id: string;
  /**
   * Answer `request`. `options.signal`: once aborted, a call still waiting for a slot is not sent
   * (it rejects with the signal's reason); calls under way finish. `options.onSend` is called
   * (synchronously) just before the request first goes to the provider: never for cache hits.
   */
  complete(request: CompletionRequest, options?: CompleteOptions): Promise<Completion>;
  /** True when `request` would be answered from the response cache (nothing paid). Optional. */
  isCached?(request: CompletionRequest): boolean;
  /** Totals since creation. */
  totals(): UsageTotals;
  close(): Promise<void>;
}
