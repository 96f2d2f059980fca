/** Options of {@link createBlackBox} and of provider factories, with their defaults. */
import type { BatchEvent, BatchStore } from "./batch/types.js";
import type { PriceTable } from "./pricing.js";
import type { BatchApi, Provider, Usage } from "./types.js";

/** Something that happened inside the black box, for progress bars and logs. Never holds a key. */
export type BlackBoxEvent =
  /** A request is about to be sent (attempt 0 is the first try). */
  | { type: "request"; id: string; attempt: number }
  /** A request succeeded. */
  | { type: "response"; id: string; usage: Usage; costUsd: number }
  /** A transient failure; another attempt follows after `delayMs`. */
  | { type: "retry"; id: string; attempt: number; error: string; errorName: string; delayMs: number }
  /** Sleeping before a retry; `reason` says whether the server asked for the delay. */
  | { type: "wait"; id: string; delayMs: number; reason: "retry-after" | "backoff" }
  /** Served from the persistent cache (or from an identical request already in flight). */
  | { type: "cache-hit"; id: string };

/**
 * A rate limit that several black boxes (and processes) share: `acquire` resolves once a request of
 * about `tokens` tokens (prompt plus max answer) to `key` (the black box's provider:model) may be sent.
 * Rejects with the signal's reason when `signal` aborts first. It may give a ticket whose `sent()` is
 * called the moment the request leaves, so that the limit counts it from then.
 */
export interface RateLimiter {
  acquire(key: string, tokens: number, signal?: AbortSignal): Promise<RateTicket | undefined>;
}

/** An admitted request of a {@link RateLimiter}. */
export interface RateTicket {
  /** The request is being sent now. */
  sent(): void;
}

/** Options of a black box. Every field is optional; defaults in brackets. */
export interface BlackBoxOptions {
  /** API key; else the provider's env var (OPENAI_API_KEY, ANTHROPIC_API_KEY). */
  apiKey?: string;
  /** Server base URL; else OPENAI_BASE_URL / ANTHROPIC_BASE_URL, else the provider's default. */
  baseURL?: string;
  /** Requests in flight at once [8; local models: their batch size, 20]. */
  concurrency?: number;
  /** Retries after transient errors; a call makes at most maxRetries + 1 requests [6]. */
  maxRetries?: number;
  /** Per-request timeout in ms [60 000]. */
  timeoutMs?: number;
  /** First backoff step in ms [500]. */
  retryInitialDelayMs?: number;
  /** Cap of the exponential backoff term in ms [20 000]. */
  retryMaxDelayMs?: number;
  /** Cap of any single wait, Retry-After included, in ms [60 000]. */
  maxWaitMs?: number;
  /** Default temperature when a request has none [0]. */
  temperature?: number;
  /** Default max output tokens when a request has none [provider default; Anthropic 1024]. */
  maxTokens?: number;
  /** Use the persistent response cache [true]. */
  cache?: boolean;
  /** Cache file [INSTRUCTZERO_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/instructzero/responses.sqlite]. */
  cachePath?: string;
  /** Price overrides, USD per million tokens (over INSTRUCTZERO_PRICES and the built-in table). */
  prices?: PriceTable;
  /** Seed of the retry-jitter stream [0]. Jitter changes waits only, never results. */
  seed?: number;
  /** Progress / log hook. Exceptions it throws are ignored. */
  onEvent?: (event: BlackBoxEvent) => void;
  /** Sleep used between retries (tests inject a fake) [a real timer]. */
  sleep?: (ms: number) => Promise<void>;
  /** Environment to read keys, URLs and paths from [process.env]. */
  env?: NodeJS.ProcessEnv;
  /** Extra settings passed through untouched to the provider factory (e.g. local generator options). */
  providerOptions?: Record<string, unknown>;
  /**
   * Consulted before every request sent (retries included; cache hits are not requests): requests and
   * tokens per minute shared with other black boxes and processes (`StoreRateLimiter`) [none].
   */
  rateLimiter?: RateLimiter;
  /**
   * How long this black box's claim on a request it is sending lasts in the response cache's database
   * unless renewed (renewed every third of it while the request is under way); other processes sending
   * the same request wait for its answer meanwhile, and take the claim over once it lapsed (its holder
   * died), in ms [INSTRUCTZERO_CLAIM_LEASE_MS, else 30 000].
   */
  claimLeaseMs?: number;
  /** How often a black box waiting on another process's claim looks for the answer, in ms [200]. */
  claimPollMs?: number;
}

/**
 * Batch mode (`--batch-api`): admitted requests are collected into provider batches through the
 * provider's Batch API (`Provider.batch`) instead of being sent one at a time. Defaults in brackets.
 */
export interface BatchModeOptions {
  /** Where batches are recorded for resume (the run ledger: `ledger.batchStore(runId)`) [in memory]. */
  store?: BatchStore;
  /** Batch prices as a fraction of the price table [0.5]. */
  batchPriceFactor?: number;
  /** Poll interval of a running batch, ms [30 000]. */
  batchPollMs?: number;
  /** Follow-up batches for requests that failed or expired [2]. */
  batchMaxRetries?: number;
  /** A queue becomes a batch once no call has arrived for this long, ms [200]. */
  idleMs?: number;
  /** Requests per batch at most [the provider's limit]. */
  maxBatchRequests?: number;
  /** Progress of batches (submitted, polls, results, retries). Exceptions it throws are ignored. */
  onBatchEvent?: (event: BatchEvent) => void;
  /** The provider's batch endpoints (tests, other providers) [the provider's own: `Provider.batch`]. */
  api?: BatchApi;
}

/** What a provider factory receives: the black-box options with the environment and timeout resolved. */
export interface ProviderFactoryOptions extends BlackBoxOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Builds a provider for one model name (the part after "provider:"). May be async (lazy loading). */
export type ProviderFactory = (
  model: string,
  options: ProviderFactoryOptions,
) => Provider | Promise<Provider>;

/** Resolved defaults. */
export const DEFAULTS = {
  concurrency: 8,
  maxRetries: 6,
  timeoutMs: 60_000,
  retryInitialDelayMs: 500,
  retryMaxDelayMs: 20_000,
  maxWaitMs: 60_000,
  temperature: 0,
} as const;
