/**
 * The black box through a provider's Batch API (`--batch-api`): the same `complete()` as the client in
 * ../client.ts, answered at the batch price (by default half the price table) within hours instead of
 * seconds.
 *
 *   complete(request)
 *     -> response cache hit?                       (no request, cost 0)
 *     -> same request already queued or in a batch? (share its answer, cost 0)
 *     -> queue; once no call has arrived for `idleMs` (the optimiser issues a whole step's requests at
 *        once) the queue becomes ONE provider batch (split only past the provider's size limit):
 *          OpenAI: upload JSONL file -> record file id -> create batch -> record batch id
 *          Anthropic: create batch -> record batch id
 *        poll every `batchPollMs` (status changes recorded), then read the results: every answer is
 *        written to the response cache, then the batch is recorded as collected, then calls resolve.
 *     -> failed / expired requests go into a follow-up batch, at most `batchMaxRetries` times; requests
 *        the provider calls invalid (HTTP 400-like) and cancelled ones reject at once.
 *
 * Every id (file, batch) is written to the {@link BatchStore} (the run ledger) before the next step, so a
 * process killed at any moment resumes: a resumed run issues the same requests (the optimiser is
 * deterministic), they are found in a stored batch by their custom ids (= cache keys), and that batch is
 * polled (or, killed between upload and creation, created from the stored file; OpenAI: after checking
 * that no batch was created from that file already), never submitted again. Answers of a batch submitted
 * by an earlier session come back as `cached: true, costUsd: 0`: that session's spend log already counts
 * them (requests in flight when a process dies are counted at their worst case).
 *
 * A request's custom id is its response-cache key, computed exactly as the client computes it (see
 * request.ts), so answers are shared with runs without `--batch-api`. The cache is this black box's own
 * connection to the same file.
 */
import { performance } from "node:perf_hooks";
import { UserError } from "../../util/errors.js";
import { redactUrl } from "../../util/redact.js";
import { Rng } from "../../util/rng.js";
import { defaultCachePath, ResponseCache } from "../cache.js";
import { emptyUsageTotals } from "../client.js";
import { AuthenticationError, BlackBoxError, isTransient, retryAfterOf, TimeoutError } from "../errors.js";
import { type BlackBoxEvent, type BlackBoxOptions, DEFAULTS } from "../options.js";
import { estimateCost, type PriceTable, resolvePrices } from "../pricing.js";
import { ANTHROPIC_DEFAULT_BASE_URL } from "../providers/anthropic.js";
import { OPENAI_DEFAULT_BASE_URL } from "../providers/openai.js";
import { parseModelId, providerFactory } from "../registry.js";
import { type BackoffOptions, sleep as realSleep, retryDelayMs } from "../retry.js";
import type {
  BlackBox,
  CompleteOptions,
  Completion,
  CompletionRequest,
  ProviderResponse,
  UsageTotals,
} from "../types.js";
import { createAnthropicBatchApi } from "./anthropic-batch.js";
import { memoryBatchStore } from "./memory-store.js";
import { createOpenAIBatchApi } from "./openai-batch.js";
import { jobKey, normalizeRequest, requestKey } from "./request.js";
import type {
  ActiveBatch,
  BatchApi,
  BatchEvent,
  BatchJobRecord,
  BatchLine,
  BatchProviderName,
  BatchState,
  BatchStore,
  LineResult,
} from "./types.js";

/** Defaults of the batch options (the schema's: batchPriceFactor, batchPollMs, batchMaxRetries). */
export const BATCH_DEFAULTS = {
  priceFactor: 0.5,
  pollMs: 30_000,
  maxRetries: 2,
  idleMs: 200,
} as const;

/** Requests per batch at most (OpenAI allows 50 000 per file, Anthropic 100 000 per batch). */
const MAX_BATCH_REQUESTS: Record<BatchProviderName, number> = { openai: 50_000, anthropic: 100_000 };
/** Bytes of request text per batch at most (OpenAI: 200 MB files; Anthropic: 256 MB batches), with margin. */
const MAX_BATCH_BYTES = 100_000_000;
/** Time allowed for one upload or results download (large files). */
const TRANSFER_TIMEOUT_MS = 600_000;

/** Options of {@link createBatchBlackBox}: the black-box options plus the batch settings. */
export interface BatchBlackBoxOptions extends BlackBoxOptions {
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
  /** The provider's batch endpoints (tests, other providers) [OpenAI or Anthropic through their SDKs]. */
  api?: BatchApi;
}

/** A call rejected because its provider batch was cancelled. */
export class BatchCancelledError extends BlackBoxError {
  constructor(message: string) {
    super(message);
    this.name = "BatchCancelledError";
  }
}

/** A call whose request failed in its provider batch (and follow-ups), or that the provider refused. */
export class BatchRequestError extends BlackBoxError {
  constructor(message: string) {
    super(message);
    this.name = "BatchRequestError";
  }
}

/** A call of a black box that was closed while it waited. */
class ClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClosedError";
  }
}

/**
 * Create the batch black box for `modelId` ("openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest";
 * any OpenAI-compatible base URL implementing /files and /batches). Key and base URL are checked as
 * `createBlackBox` checks them: a missing key is an AuthenticationError, a bad URL a UserError.
 */
export function createBatchBlackBox(modelId: string, options: BatchBlackBoxOptions = {}): BatchBlackBox {
  const { provider, model } = parseModelId(modelId);
  if (provider !== "openai" && provider !== "anthropic") {
    throw new UserError(
      `--batch-api works with openai: and anthropic: targets (their batch endpoints); ${provider}:${model} has none`,
    );
  }
  const env = options.env ?? process.env;
  const s = resolveSettings(options);
  const prices = resolvePrices(options.prices, env);
  // The provider checks key and URL exactly as for a non-batch run, and names the custom base URL
  // that is part of every cache key.
  const made = providerFactory(provider)(model, { ...options, env, timeoutMs: s.timeoutMs });
  if (made instanceof Promise) throw new Error(`provider ${provider} is not synchronous`);
  const keyBaseURL = made.baseURL;
  const baseURL =
    keyBaseURL ?? (provider === "openai" ? OPENAI_DEFAULT_BASE_URL : ANTHROPIC_DEFAULT_BASE_URL);
  const apiKey =
    options.apiKey || (provider === "openai" ? env.OPENAI_API_KEY : env.ANTHROPIC_API_KEY) || undefined;
  const keyHint = `the ${provider === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY"} environment variable (from code: createBlackBox's apiKey option)`;
  const sdkTimeout = Math.max(s.timeoutMs, TRANSFER_TIMEOUT_MS) + 1000;
  const api =
    options.api ??
    (provider === "openai"
      ? createOpenAIBatchApi({
          model,
          apiKey,
          baseURL,
          custom: keyBaseURL !== undefined,
          timeoutMs: sdkTimeout,
          env,
          keyHint,
        })
      : createAnthropicBatchApi({ model, apiKey, baseURL, timeoutMs: sdkTimeout, keyHint }));
  const cache =
    options.cache === false ? undefined : new ResponseCache(defaultCachePath(env, options.cachePath));
  return new BatchBlackBox(provider, model, keyBaseURL, api, cache, prices, s, options);
}

interface Settings {
  maxRetries: number;
  timeoutMs: number;
  temperature: number;
  maxTokens: number | undefined;
  backoff: BackoffOptions;
  priceFactor: number;
  pollMs: number;
  batchMaxRetries: number;
  idleMs: number;
}

function resolveSettings(o: BatchBlackBoxOptions): Settings {
  const num = (name: string, v: number | undefined, def: number, min: number, int = false) => {
    const x = v ?? def;
    if (typeof x !== "number" || !Number.isFinite(x) || x < min || (int && !Number.isInteger(x))) {
      throw new UserError(
        `black-box option ${name} must be ${int ? "an integer" : "a number"} >= ${min}, got ${v}`,
      );
    }
    return x;
  };
  return {
    maxRetries: num("maxRetries", o.maxRetries, DEFAULTS.maxRetries, 0, true),
    timeoutMs: num("timeoutMs", o.timeoutMs, DEFAULTS.timeoutMs, 1),
    temperature: num("temperature", o.temperature, DEFAULTS.temperature, 0),
    maxTokens: o.maxTokens === undefined ? undefined : num("maxTokens", o.maxTokens, 0, 1, true),
    backoff: {
      initialDelayMs: num("retryInitialDelayMs", o.retryInitialDelayMs, DEFAULTS.retryInitialDelayMs, 0),
      maxDelayMs: num("retryMaxDelayMs", o.retryMaxDelayMs, DEFAULTS.retryMaxDelayMs, 0),
      maxWaitMs: num("maxWaitMs", o.maxWaitMs, DEFAULTS.maxWaitMs, 0),
    },
    priceFactor: num("batchPriceFactor", o.batchPriceFactor, BATCH_DEFAULTS.priceFactor, 0),
    pollMs: num("batchPollMs", o.batchPollMs, BATCH_DEFAULTS.pollMs, 0),
    batchMaxRetries: num("batchMaxRetries", o.batchMaxRetries, BATCH_DEFAULTS.maxRetries, 0, true),
    idleMs: num("idleMs", o.idleMs, BATCH_DEFAULTS.idleMs, 0),
  };
}

/** One waiting call. */
interface Waiter {
  callId: string;
  resolve(c: Completion): void;
  reject(err: unknown): void;
  onSend?: () => void;
  signal?: AbortSignal;
}

/** One distinct request (a custom id) with the calls waiting for it. */
interface Entry {
  customId: string;
  request: CompletionRequest;
  waiters: Waiter[];
  /** The call that paid for it (its onSend was called); the others share the answer at cost 0. */
  payer?: Waiter;
  /** The attempt number of the batch it is in (0: first batch). */
  attempt: number;
  /** In a batch an earlier session submitted: answered as a cache hit (that session counted it). */
  resumed: boolean;
  /** Why earlier batches did not answer it. */
  errors: string[];
  /** Counted as sent in its current batch. */
  sent: boolean;
}

/** One provider batch followed by this session. */
interface Job {
  record: BatchJobRecord;
  /** Calls of this session waiting for the batch, by custom id. */
  entries: Map<string, Entry>;
  /** The requests (batches this session submits; absent for batches of earlier sessions). */
  lines?: BatchLine[];
  /** Submitted by an earlier session. */
  resumed: boolean;
  running: boolean;
  cancelRequested: boolean;
  startedAt: number;
  state?: BatchState;
}

/** The black box through a provider batch API; see the module comment. */
export class BatchBlackBox implements BlackBox {
  readonly id: string;
  /** Batch prices as a fraction of the price table (read by BudgetedBlackBox for worst cases). */
  readonly priceFactor: number;
  private readonly store: BatchStore;
  private readonly rng: Rng;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxBatch: number;
  private readonly listeners = new Set<(e: BatchEvent) => void>();
  private readonly t = emptyUsageTotals();
  /** Requests queued for the next batch. */
  private queue: Entry[] = [];
  /** Requests queued or in a batch, by custom id. */
  private readonly active = new Map<string, Entry>();
  /** Batches being followed. */
  private readonly jobs = new Set<Job>();
  /** Batches of earlier sessions not yet collected, by each of their custom ids (loaded at the first flush). */
  private stored: Map<string, Job> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Pending poll waits: resolved with false on close. */
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: (go: boolean) => void }>();
  /** Keys of the batches this session submitted. */
  private readonly own = new Set<string>();
  private calls = 0;
  private closed = false;
  private refused: AuthenticationError | undefined;

  constructor(
    readonly provider: BatchProviderName,
    readonly model: string,
    /** The custom base URL that is part of cache keys (undefined: the provider's own). */
    private readonly keyBaseURL: string | undefined,
    private readonly api: BatchApi,
    private readonly cache: ResponseCache | undefined,
    private readonly prices: PriceTable,
    private readonly s: Settings,
    private readonly options: BatchBlackBoxOptions,
  ) {
    this.id = `${provider}:${model}`;
    this.priceFactor = s.priceFactor;
    this.store = options.store ?? memoryBatchStore();
    this.rng = new Rng(options.seed ?? 0);
    this.sleep = options.sleep ?? ((ms) => realSleep(ms));
    this.maxBatch = Math.max(1, options.maxBatchRequests ?? MAX_BATCH_REQUESTS[provider]);
    if (options.onBatchEvent) this.listeners.add(options.onBatchEvent);
  }

  /** The custom id (= response-cache key) of `request`. */
  keyOf(request: CompletionRequest): string {
    return requestKey(this.provider, this.model, this.keyBaseURL, this.normalize(request));
  }

  isCached(request: CompletionRequest): boolean {
    if (!this.cache || this.closed) return false;
    return this.cache.get(this.keyOf(request)) !== undefined;
  }

  async complete(request: CompletionRequest, options: CompleteOptions = {}): Promise<Completion> {
    if (this.closed) throw new Error(`black box ${this.id} is closed`);
    if (typeof request?.prompt !== "string")
      throw new TypeError("complete(): request.prompt must be a string");
    if (this.refused) throw this.refusedError();
    const callId = `${this.id}#${++this.calls}`;
    const normalized = this.normalize(request);
    const key = requestKey(this.provider, this.model, this.keyBaseURL, normalized);
    const stored = this.cache?.get(key);
    if (stored) return this.hit(callId, stored);
    return new Promise<Completion>((resolve, reject) => {
      const waiter: Waiter = { callId, resolve, reject, onSend: options.onSend, signal: options.signal };
      const pending = this.active.get(key);
      if (pending) {
        pending.waiters.push(waiter);
        return;
      }
      const entry: Entry = {
        customId: key,
        request: normalized,
        waiters: [waiter],
        attempt: 0,
        resumed: false,
        errors: [],
        sent: false,
      };
      this.active.set(key, entry);
      this.queue.push(entry);
      this.schedule();
    });
  }

  totals(): UsageTotals {
    return { ...this.t };
  }

  /** Batches this session follows that have not ended, for a progress line or the interrupt message. */
  activeBatches(): ActiveBatch[] {
    const now = performance.now();
    return [...this.jobs]
      .filter((j) => !j.state?.ended)
      .map((j) => ({
        provider: this.provider,
        batchId: j.record.batchId ?? undefined,
        fileId: j.record.fileId ?? undefined,
        status: j.state?.status ?? j.record.status,
        done: j.state?.done ?? 0,
        total: j.state?.total ?? j.record.customIds.length,
        elapsedMs: now - j.startedAt,
      }));
  }

  /** Requests queued for the next batch (not yet submitted). */
  queued(): number {
    return this.queue.length;
  }

  /** Listen to batch progress; returns the function that stops listening. */
  subscribe(listener: (e: BatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Cancel, at the provider, every batch this session follows, and drop the queue (those calls reject
   * with BatchCancelledError at once). Cancelled batches still end with the answers finished by then:
   * those are cached and resolve their calls; the other calls reject with BatchCancelledError.
   * Returns the ids of the batches asked to cancel. Never automatic: the caller offers it.
   */
  async cancel(): Promise<string[]> {
    for (const e of this.queue.splice(0)) {
      this.reject(e, new BatchCancelledError(`${this.id}: cancelled before its batch was submitted`));
    }
    const ids: string[] = [];
    for (const job of [...this.jobs]) {
      if (job.state?.ended) continue;
      job.cancelRequested = true;
      const batchId = job.record.batchId;
      if (!batchId) continue; // cancelled as soon as it is created
      ids.push(batchId);
      await this.call("cancel", (signal) => this.api.cancel(batchId, signal)).catch(() => {});
    }
    return ids;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waits.clear();
    const batches = [...this.jobs].map((j) => j.record.batchId).filter((b): b is string => !!b);
    const err = new ClosedError(
      `${this.id}: closed while calls waited for provider batches${batches.length ? ` (${batches.join(", ")})` : ""}; ` +
        "they are recorded in the ledger: resuming the run picks them up",
    );
    for (const e of [...this.active.values()]) this.reject(e, err);
    this.queue = [];
    this.cache?.close();
  }

  // ---- queue -------------------------------------------------------------------------------------

  private schedule(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.queue.length >= this.maxBatch) {
      this.idleTimer = undefined;
      this.flush();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.flush();
    }, this.s.idleMs);
  }

  /** The queue becomes batches (a failure, e.g. of the cache or the store, rejects its calls). */
  private flush(): void {
    const entries = this.queue.splice(0);
    try {
      this.flushEntries(entries);
    } catch (err) {
      for (const e of entries)
        if (e.waiters.length > 0 && this.active.get(e.customId) === e && !e.sent) this.reject(e, err);
    }
  }

  /** Requests of stored batches join them, the rest is submitted. */
  private flushEntries(entries: Entry[]): void {
    const live: Entry[] = [];
    for (const e of entries) {
      // a call whose caller gave up (the run was interrupted) is not sent
      e.waiters = e.waiters.filter((w) => {
        if (!w.signal?.aborted) return true;
        w.reject(w.signal.reason ?? new Error("aborted"));
        return false;
      });
      if (e.waiters.length === 0) {
        this.active.delete(e.customId);
        continue;
      }
      const answered = this.cache?.get(e.customId); // by another process meanwhile
      if (answered) {
        this.active.delete(e.customId);
        for (const w of e.waiters) w.resolve(this.hit(w.callId, answered));
        continue;
      }
      live.push(e);
    }
    if (live.length === 0) return;
    let stored: Map<string, Job>;
    try {
      stored = this.loadStored();
    } catch (err) {
      for (const e of live) this.reject(e, err);
      return;
    }
    const fresh: Entry[] = [];
    for (const e of live) {
      const job = stored.get(e.customId);
      if (job) this.attach(job, e);
      else fresh.push(e);
    }
    for (const chunk of this.chunks(fresh)) this.submit(chunk, 0);
  }

  /** Uncollected batches of earlier sessions for this model, indexed by custom id (read once). */
  private loadStored(): Map<string, Job> {
    if (this.stored) return this.stored;
    const stored = new Map<string, Job>();
    for (const rec of this.store.open()) {
      if (rec.provider !== this.provider || rec.model !== this.model) continue;
      if (this.cache && rec.batchId && rec.customIds.every((id) => this.cache!.get(id) !== undefined)) {
        // killed after its answers were cached, before it was marked: nothing left to fetch
        this.store.put({ ...rec, status: "collected" });
        continue;
      }
      const job = this.storedJob(rec);
      for (const id of rec.customIds) stored.set(id, job);
    }
    this.stored = stored;
    return stored;
  }

  private storedJob(rec: BatchJobRecord): Job {
    return {
      record: { ...rec, customIds: [...rec.customIds] },
      entries: new Map(),
      // a batch this session submitted whose earlier calls failed (e.g. polls gave up): followed again
      resumed: !this.own.has(rec.key),
      running: false,
      cancelRequested: false,
      startedAt: performance.now(),
    };
  }

  /** `e` waits for a batch an earlier session submitted; the batch is followed from now on. */
  private attach(job: Job, e: Entry): void {
    e.attempt = job.record.attempt;
    if (job.resumed) e.resumed = true;
    else this.send(e);
    job.entries.set(e.customId, e);
    if (!job.running) this.start(job);
  }

  private *chunks(entries: Entry[]): Generator<Entry[]> {
    let chunk: Entry[] = [];
    let bytes = 0;
    for (const e of entries) {
      const size =
        Buffer.byteLength(e.request.prompt, "utf8") + Buffer.byteLength(e.request.system ?? "") + 512;
      if (chunk.length > 0 && (chunk.length >= this.maxBatch || bytes + size > MAX_BATCH_BYTES)) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(e);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }

  /**
   * Put `entries` into a new batch of attempt `attempt` (or later: a batch with the same requests that an
   * earlier session collected counts as an attempt), unless the store already holds that very batch
   * uncollected (then it is followed, not submitted again).
   */
  private submit(entries: Entry[], attempt: number): void {
    const ids = entries.map((e) => e.customId).sort();
    let a = attempt;
    let key = jobKey(ids, a);
    try {
      for (let rec = this.store.get(key); rec; rec = this.store.get(key)) {
        if (rec.status !== "collected") {
          const job = this.storedJob(rec);
          for (const e of entries) this.attach(job, e);
          return;
        }
        a++;
        key = jobKey(ids, a);
      }
    } catch (err) {
      for (const e of entries) this.reject(e, err);
      return;
    }
    if (a > this.s.batchMaxRetries) {
      for (const e of entries) {
        this.reject(
          e,
          new BatchRequestError(
            `${this.id}: request ${e.customId.slice(0, 12)} already failed in ${a} provider batches of earlier sessions ` +
              `(--batch-max-retries ${this.s.batchMaxRetries}); run without --batch-api or raise the limit`,
          ),
        );
      }
      return;
    }
    for (const e of entries) {
      e.attempt = a;
      e.sent = false;
    }
    this.own.add(key);
    const job: Job = {
      record: {
        key,
        provider: this.provider,
        model: this.model,
        fileId: null,
        batchId: null,
        status: "new",
        attempt: a,
        customIds: ids,
      },
      entries: new Map(entries.map((e) => [e.customId, e])),
      lines: entries.map((e) => ({ customId: e.customId, request: e.request })),
      resumed: false,
      running: false,
      cancelRequested: false,
      startedAt: performance.now(),
    };
    this.start(job);
  }

  private start(job: Job): void {
    job.running = true;
    this.jobs.add(job);
    void this.run(job).finally(() => this.jobs.delete(job));
  }

  // ---- one batch ---------------------------------------------------------------------------------

  private async run(job: Job): Promise<void> {
    const rec = job.record;
    try {
      let state: BatchState;
      if (!rec.batchId) {
        if (!job.resumed) this.markSent(job);
        let created: { id: string; state: BatchState } | undefined;
        if (this.api.upload) {
          if (!rec.fileId) {
            const lines = job.lines as BatchLine[];
            this.emitBatch("submitted", job, {
              status: "uploading",
              ended: false,
              done: 0,
              failed: 0,
              total: lines.length,
            });
            rec.fileId = await this.call(
              "upload",
              (signal) => this.api.upload!(lines, rec.key, signal),
              TRANSFER_TIMEOUT_MS,
            );
            rec.status = "uploaded";
            this.store.put(rec);
          } else if (this.api.findByFile) {
            // killed after the upload: a batch may have been created from the file before the kill
            const fileId = rec.fileId;
            created = await this.call("find", (signal) => this.api.findByFile!(fileId, signal));
          }
        }
        if (this.closed) return;
        created ??= await this.call("create", (signal) =>
          this.api.create({ lines: job.lines, fileId: rec.fileId ?? undefined, key: rec.key }, signal),
        );
        rec.batchId = created.id;
        rec.status = created.state.status;
        this.store.put(rec);
        state = created.state;
      } else {
        state = await this.poll(job);
      }
      job.state = state;
      this.emitBatch("submitted", job, state);
      if (job.cancelRequested && !state.ended) {
        const batchId = rec.batchId as string;
        await this.call("cancel", (signal) => this.api.cancel(batchId, signal)).catch(() => {});
      }
      while (!state.ended) {
        if (!(await this.wait(this.s.pollMs))) return;
        state = await this.poll(job);
        this.emitBatch("poll", job, state);
      }
      const ended = state;
      const results = await this.call(
        "results",
        (signal) => this.api.results(rec.batchId as string, ended, signal),
        TRANSFER_TIMEOUT_MS,
      );
      if (this.closed) return;
      this.collect(job, ended, results);
    } catch (err) {
      this.fail(job, err);
    }
  }

  /** One poll (transient failures retried); a new status is recorded. */
  private async poll(job: Job): Promise<BatchState> {
    const rec = job.record;
    const batchId = rec.batchId as string;
    const state = await this.call("poll", (signal) => this.api.retrieve(batchId, signal));
    job.state = state;
    if (state.status !== rec.status && !this.closed) {
      rec.status = state.status;
      this.store.put(rec);
    }
    return state;
  }

  /** The calls of a batch this session submits: onSend (the spend log), counts and events. */
  private markSent(job: Job): void {
    for (const e of job.entries.values()) this.send(e);
  }

  /** `e` goes to the provider in this session: its first call pays (onSend: the spend log). */
  private send(e: Entry): void {
    e.resumed = false;
    if (e.sent) return;
    e.sent = true;
    if (e.attempt > 0) this.t.retries++;
    this.t.requests++;
    if (!e.payer) {
      e.payer = e.waiters[0];
      try {
        e.payer?.onSend?.();
      } catch {
        // the caller's hook failing must not lose the batch
      }
    }
    this.emit({ type: "request", id: e.payer?.callId ?? e.customId, attempt: e.attempt });
  }

  /** An ended batch: answers to the cache, the batch recorded as collected, then calls settled or retried. */
  private collect(job: Job, state: BatchState, results: LineResult[]): void {
    const rec = job.record;
    const byId = new Map<string, LineResult>();
    for (const r of results) {
      byId.set(r.customId, r);
      if (r.ok) this.cache?.put(r.customId, { provider: this.provider, model: this.model }, r.response);
    }
    rec.status = "collected";
    this.store.put(rec);
    if (job.resumed && this.stored) {
      for (const id of rec.customIds) if (this.stored.get(id) === job) this.stored.delete(id);
    }
    this.emitBatch("ended", job, state);
    const retry: Entry[] = [];
    const cancelled = job.cancelRequested || state.status === "cancelled";
    for (const e of job.entries.values()) {
      const r = byId.get(e.customId);
      if (r?.ok) {
        this.answer(e, r.response);
        continue;
      }
      const why = r
        ? r.error
        : `no result (batch status ${state.status}${state.errors ? `: ${state.errors}` : ""})`;
      e.errors.push(`${rec.batchId}: ${why}`);
      const kind = r ? r.kind : cancelled ? "cancelled" : "retry";
      if (kind === "cancelled" || job.cancelRequested) {
        this.reject(
          e,
          new BatchCancelledError(`${this.id}: provider batch ${rec.batchId} was cancelled: ${why}`),
        );
      } else if (kind === "permanent") {
        this.reject(
          e,
          new BatchRequestError(
            `${this.id}: the provider refused the request in batch ${rec.batchId}: ${why}`,
          ),
        );
      } else if (e.attempt >= this.s.batchMaxRetries) {
        this.reject(
          e,
          new BatchRequestError(
            `${this.id}: request ${e.customId.slice(0, 12)} failed in ${e.attempt + 1} provider batch(es) ` +
              `(--batch-max-retries ${this.s.batchMaxRetries}): ${e.errors.join("; ")}`,
          ),
        );
      } else {
        retry.push(e);
      }
    }
    if (retry.length > 0 && !this.closed) {
      this.emitBatch("retry", job, state, `${retry.length} request(s) go into a follow-up batch`);
      for (const chunk of this.chunks(retry)) this.submit(chunk, rec.attempt + 1);
    }
  }

  /** The batch could not be followed: its calls reject (the batch stays recorded for a resume). */
  private fail(job: Job, err: unknown): void {
    if (this.closed) return;
    scrub(err);
    const batchId = job.record.batchId;
    if (batchId && err instanceof Error && !(err instanceof UserError)) {
      try {
        err.message = `${err.message} (provider batch ${batchId} is recorded: resuming the run polls it again)`;
      } catch {
        // a frozen error
      }
    }
    this.emitBatch(
      "failed",
      job,
      job.state ?? {
        status: job.record.status,
        ended: false,
        done: 0,
        failed: 0,
        total: job.record.customIds.length,
      },
      err instanceof Error ? err.message : String(err),
    );
    for (const e of job.entries.values()) this.reject(e, err);
  }

  private answer(e: Entry, res: ProviderResponse): void {
    this.active.delete(e.customId);
    for (const w of e.waiters) {
      if (w === e.payer && !e.resumed) {
        const { costUsd: listed, priced } = estimateCost(this.id, res.usage, this.prices);
        const costUsd = listed * this.s.priceFactor;
        this.t.completions++;
        this.t.inputTokens += res.usage.inputTokens;
        this.t.outputTokens += res.usage.outputTokens;
        this.t.costUsd += costUsd;
        if (!priced) this.t.priced = false;
        this.emit({ type: "response", id: w.callId, usage: res.usage, costUsd });
        w.resolve({ text: res.text, usage: { ...res.usage }, costUsd, cached: false });
      } else {
        w.resolve(this.hit(w.callId, res));
      }
    }
  }

  private reject(e: Entry, err: unknown): void {
    if (this.active.get(e.customId) === e) this.active.delete(e.customId);
    for (const w of e.waiters) w.reject(err);
    e.waiters = [];
  }

  private hit(callId: string, res: ProviderResponse): Completion {
    this.t.completions++;
    this.t.cacheHits++;
    this.emit({ type: "cache-hit", id: callId });
    return { text: res.text, usage: { ...res.usage }, costUsd: 0, cached: true };
  }

  // ---- provider calls ----------------------------------------------------------------------------

  /** One batch API call with a timeout; transient failures retried with backoff, at most maxRetries times. */
  private async call<T>(
    label: string,
    fn: (signal: AbortSignal) => Promise<T>,
    timeoutMs = this.s.timeoutMs,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new ClosedError(`${this.id}: closed`);
      if (this.refused) throw this.refusedError();
      const controller = new AbortController();
      const timer = setTimeout(
        () =>
          controller.abort(
            new TimeoutError(`${this.id}: batch ${label}: no response within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      let failure: unknown;
      try {
        return await fn(controller.signal);
      } catch (err) {
        failure = err;
        const reason: unknown = controller.signal.reason;
        if (!(err instanceof BlackBoxError) && controller.signal.aborted && reason instanceof BlackBoxError) {
          failure = reason;
        }
      } finally {
        clearTimeout(timer);
      }
      if (failure instanceof AuthenticationError && !this.refused) this.refused = failure;
      if (!isTransient(failure) || attempt >= this.s.maxRetries) {
        if (failure instanceof BlackBoxError && attempt > 0) {
          failure.message = `${failure.message} (batch ${label}: gave up after ${attempt + 1} attempts)`;
        }
        throw failure;
      }
      await this.sleep(retryDelayMs(attempt, retryAfterOf(failure), this.s.backoff, this.rng));
    }
  }

  /** Wait `ms` between polls; false when the black box was closed meanwhile. */
  private wait(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = {
        timer: setTimeout(() => {
          this.waits.delete(w);
          resolve(!this.closed);
        }, ms),
        resolve,
      };
      this.waits.add(w);
    });
  }

  private normalize(request: CompletionRequest): CompletionRequest {
    return normalizeRequest(request, { temperature: this.s.temperature, maxTokens: this.s.maxTokens });
  }

  private refusedError(): AuthenticationError {
    const first = this.refused as AuthenticationError;
    return new AuthenticationError(
      `${this.id}: request not sent: an earlier request was refused (the API key was rejected), so ` +
        `this black box sends no more requests. ${first.message}`,
      { status: first.status, cause: first },
    );
  }

  private emit(event: BlackBoxEvent): void {
    if (!this.options.onEvent) return;
    try {
      this.options.onEvent(event);
    } catch {
      // a broken progress display must not break paid calls
    }
  }

  private emitBatch(type: BatchEvent["type"], job: Job, state: BatchState, message?: string): void {
    if (this.listeners.size === 0) return;
    const event: BatchEvent = {
      type,
      provider: this.provider,
      ...(job.record.batchId ? { batchId: job.record.batchId } : {}),
      key: job.record.key,
      status: state.status,
      done: state.done,
      total: state.total || job.record.customIds.length,
      failed: state.failed,
      elapsedMs: performance.now() - job.startedAt,
      attempt: job.record.attempt,
      resumed: job.resumed,
      ...(message ? { message } : {}),
    };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a broken progress display must not break paid calls
      }
    }
  }
}

/** The batch black box behind `bb`, when it is one (the CLI draws its progress and offers cancel). */
export function asBatchBlackBox(bb: unknown): BatchBlackBox | undefined {
  return bb instanceof BatchBlackBox ? bb : undefined;
}

/**
 * A shell command that cancels batch `batchId` at the provider (for the interrupt message). The key
 * is named by its environment variable, never included.
 */
export function cancelCommand(provider: BatchProviderName, batchId: string, baseURL?: string): string {
  if (provider === "openai") {
    const base = (baseURL ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, "");
    return `curl -X POST ${redactUrl(base)}/batches/${batchId}/cancel -H "Authorization: Bearer $OPENAI_API_KEY"`;
  }
  const base = (baseURL ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, "");
  return `curl -X POST ${redactUrl(base)}/v1/messages/batches/${batchId}/cancel -H "x-api-key: $ANTHROPIC_API_KEY" -H "anthropic-version: 2023-06-01"`;
}

/** Remove URL credentials from the message of a thrown error. */
function scrub(err: unknown): void {
  if (!(err instanceof Error)) return;
  try {
    err.message = redactUrl(err.message);
  } catch {
    // a frozen error: nothing to do
  }
}
