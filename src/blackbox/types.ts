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
  parts?: {
    instruction: string;
    input: string;
    /** The demonstrations rendered into the prompt (few-shot prompts); absent when zero-shot. */
    demos?: readonly { input: string; output: string }[];
  };
  /**
   * A hint, not part of the request (nor of its cache key): the requests of one group (one evaluation's
   * queries) and this one's place in it. The local provider decodes a group's requests as batches of
   * their own, whatever the timing, so answers do not depend on which requests share a batch.
   */
  batchGroup?: { id: string; size: number; index: number };
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
  /**
   * The provider's Batch API, when it has one (`--batch-api`): declared by the provider module, so the
   * black box needs no provider names. Absent: requests can only be sent one at a time.
   */
  readonly batch?: BatchCapability;
  /** True when answers carry their own dollar cost (function black boxes): no price table is needed. */
  readonly selfPriced?: boolean;
  /** Release resources (sessions, sockets). Optional. */
  close?(): Promise<void>;
}

/** A completion as seen by callers of the black-box layer. */
export interface Completion extends ProviderResponse {
  /** Dollars charged for this call (0 when served from cache). */
  costUsd: number;
  /** True when the response came from the persistent cache (no request was issued). */
  cached: boolean;
  /**
   * A cached answer's dollars at the target's prices: what the same answer costs when it is paid
   * (absent when it is not cached, or for a black box without a price table).
   */
  listUsd?: number;
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
  /**
   * Attempts given up without a usable answer (timeout, lost connection, unreadable answer), which the
   * provider may have billed. Optional [0].
   */
  abandoned?: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** False once any completion was for a model missing from the price table (its cost counted as 0). */
  priced?: boolean;
}

/**
 * One attempt admitted by a spending budget (see {@link AttemptGate}): logged when it is sent, then
 * settled exactly once.
 */
export interface AdmittedAttempt {
  /** The attempt leaves for the provider now: logged as pending at its worst case. */
  sent(): void;
  /** The provider answered: counted at the usage it reported (and these dollars). */
  answered(usage: Usage, costUsd: number): void;
  /** The provider answered with an error (or the attempt was never sent): nothing billed. */
  unbilled(): void;
  /**
   * Given up without a usable answer (timeout, lost connection, unreadable answer): the provider may
   * still have processed and billed it, so it stays counted at its worst case.
   */
  abandoned(): void;
}

/**
 * A spending budget as the black box sees it: every attempt that may be billed (retries included) is
 * admitted before it is sent. `admit` waits until the attempt's worst case fits, and throws (the
 * budget's BudgetExhausted / RunInterrupted) when it never will.
 */
export interface AttemptGate {
  admit(): Promise<AdmittedAttempt>;
}

/** Per-call options of {@link BlackBox.complete}. */
export interface CompleteOptions {
  signal?: AbortSignal;
  onSend?: () => void;
  /**
   * The budget every attempt of this call goes through (black boxes with `admitsAttempts`; others are
   * admitted once per call by their caller).
   */
  attempts?: AttemptGate;
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
  /**
   * True when complete() admits every attempt it sends (retries included) through `options.attempts`
   * and settles it (the wrapped black box). Otherwise a budget admits each call once, around it.
   */
  readonly admitsAttempts?: boolean;
  /**
   * True when its answers carry their own dollar cost (function black boxes): a dollar cap then needs no
   * price of it. Optional [false].
   */
  readonly selfPriced?: boolean;
  /** Totals since creation. */
  totals(): UsageTotals;
  /**
   * Resolves once the black box can answer (a local model loaded); rejects with why it cannot. A run
   * awaits it before it is recorded, so that a failing start leaves no run behind. Optional.
   */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

// ---- provider Batch APIs: a capability of a provider ----------------------------------------------

/** One request of a batch: its custom id (the request's response-cache key) and the normalised request. */
export interface BatchLine {
  customId: string;
  /** Prompt plus parameters with the black box's defaults filled in (what the cache key was built from). */
  request: CompletionRequest;
}

/** A batch as the provider reports it, in the provider's words plus common counts. */
export interface BatchState {
  /**
   * The provider's status: OpenAI validating | in_progress | finalizing | completed | failed | expired |
   * cancelling | cancelled; Anthropic in_progress | canceling | ended.
   */
  status: string;
  /** No more change will come: results (possibly none) can be read. */
  ended: boolean;
  /** Requests finished so far (answered or failed), of `total`. */
  done: number;
  /** Of `done`, requests that failed (errored, expired, cancelled). */
  failed: number;
  total: number;
  /** OpenAI: the output file (answers) and error file (failed requests), once the batch ended. */
  outputFileId?: string;
  errorFileId?: string;
  /** Batch-level errors (OpenAI: why validation failed), as one line of text. */
  errors?: string;
}

/** How one request of a batch ended. */
export type LineResult =
  | { customId: string; ok: true; response: ProviderResponse }
  | {
      customId: string;
      ok: false;
      /** What the provider said. */
      error: string;
      /**
       * retry: worth a follow-up batch (server error, rate limit, expired, unreadable answer);
       * permanent: the request itself is wrong (HTTP 400-like), a retry fails the same way;
       * cancelled: the batch was cancelled (by the black box's `cancel()` or at the provider).
       */
      kind: "retry" | "permanent" | "cancelled";
    };

/**
 * One provider's batch endpoints. Methods throw the typed errors of ./errors.ts (transient ones are
 * retried by the caller). `signal` aborts the HTTP request (the caller's timeout).
 */
export interface BatchApi {
  /** The provider's name ("openai"). */
  readonly provider: string;
  /** OpenAI: upload the JSONL input file (purpose "batch"); returns its id. Absent for Anthropic. */
  upload?(lines: BatchLine[], key: string, signal: AbortSignal): Promise<string>;
  /** Create the batch: from the uploaded file (OpenAI) or from the lines (Anthropic). */
  create(
    input: { lines: BatchLine[] | undefined; fileId: string | undefined; key: string },
    signal: AbortSignal,
  ): Promise<{ id: string; state: BatchState }>;
  /**
   * OpenAI: the batch already created from `fileId`, if any (a process killed between creating it and
   * recording its id): looked up before creating again. Absent for Anthropic.
   */
  findByFile?(fileId: string, signal: AbortSignal): Promise<{ id: string; state: BatchState } | undefined>;
  /** The batch's current state (one poll). */
  retrieve(batchId: string, signal: AbortSignal): Promise<BatchState>;
  /** Every line's result of an ended batch (lines without a result are simply absent). */
  results(batchId: string, state: BatchState, signal: AbortSignal): Promise<LineResult[]>;
  /** Ask the provider to cancel the batch (it goes on to cancelled / ended with partial results). */
  cancel(batchId: string, signal: AbortSignal): Promise<void>;
}

/**
 * What a provider with a Batch API declares (`Provider.batch`): the size limit of one batch and its batch
 * endpoints. The black box turns admitted requests into batches through it (see batch/dispatcher.ts).
 */
export interface BatchCapability {
  /** Requests per batch at most (OpenAI: 50 000 per file; Anthropic: 100 000 per batch). */
  readonly maxRequests: number;
  /** The batch endpoints (made on first use, with the provider's key and base URL). */
  api(): BatchApi;
}
