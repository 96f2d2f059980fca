/**
 * The batch dispatcher: in batch mode (`--batch-api`) the black box (../client.ts) hands it the requests
 * it admitted (not cached, not refused) instead of sending them one by one. It collects them, submits
 * them as provider batches through the provider's Batch API (`Provider.batch`), follows each batch
 * (./follow.ts) and routes every answer back to its calls.
 *
 *   enqueue(request)
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
 * by an earlier session come back unpaid (the black box serves them as `cached: true, costUsd: 0`): that
 * session's spend log already counts them (requests in flight when a process dies are counted at their
 * worst case).
 */
import { performance } from "node:perf_hooks";
import type { Sleep } from "../../util/async/index.js";
import type { Rng } from "../../util/rng.js";
import type { ResponseCache } from "../cache.js";
import type { Refusal } from "../refusal.js";
import type { BatchSettings, Settings } from "../settings.js";
import type { CompleteOptions, CompletionRequest, ProviderResponse } from "../types.js";
import { type ApiCallContext, callBatchApi } from "./api-call.js";
import { BatchCancelledError, BatchRequestError, ClosedError } from "./errors.js";
import { type FollowContext, followBatch } from "./follow.js";
import type { Dispatched, Entry, Job, Waiter } from "./job.js";
import { memoryBatchStore } from "./memory-store.js";
import { jobKey } from "./request.js";
import type { ActiveBatch, BatchApi, BatchEvent, BatchJobRecord, BatchState, BatchStore } from "./types.js";

/** Bytes of request text per batch at most (OpenAI: 200 MB files; Anthropic: 256 MB batches), with margin. */
const MAX_BATCH_BYTES = 100_000_000;

/** What the black box gives its dispatcher. */
export interface DispatcherOptions {
  /** The black box's id ("openai:gpt-4o-mini"). */
  id: string;
  provider: string;
  model: string;
  api: BatchApi;
  /** Requests per batch at most. */
  maxBatch: number;
  store?: BatchStore;
  cache: ResponseCache | undefined;
  refusal: Refusal;
  settings: Settings;
  batch: BatchSettings;
  rng: Rng;
  sleep: Sleep;
  onBatchEvent?: (event: BatchEvent) => void;
  /** A request goes to the provider in this session (`attempt` > 0: a follow-up batch): count it. */
  sent(callId: string, attempt: number): void;
}

/** The batch dispatcher of one black box; see the module comment. */
export class BatchDispatcher implements FollowContext, ApiCallContext {
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  readonly api: BatchApi;
  readonly store: BatchStore;
  readonly cache: ResponseCache | undefined;
  readonly refusal: Refusal;
  readonly settings: Settings;
  readonly batch: BatchSettings;
  readonly rng: Rng;
  readonly sleep: Sleep;
  /** Batch prices as a fraction of the price table. */
  readonly priceFactor: number;
  private readonly maxBatch: number;
  private readonly listeners = new Set<(e: BatchEvent) => void>();
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
  private isClosed = false;

  constructor(private readonly o: DispatcherOptions) {
    this.id = o.id;
    this.provider = o.provider;
    this.model = o.model;
    this.api = o.api;
    this.store = o.store ?? memoryBatchStore();
    this.cache = o.cache;
    this.refusal = o.refusal;
    this.settings = o.settings;
    this.batch = o.batch;
    this.rng = o.rng;
    this.sleep = o.sleep;
    this.priceFactor = o.batch.priceFactor;
    this.maxBatch = o.maxBatch;
    if (o.onBatchEvent) this.listeners.add(o.onBatchEvent);
  }

  closed(): boolean {
    return this.isClosed;
  }

  /** Answer `request` (normalised; its custom id `key`) through a provider batch. */
  enqueue(
    callId: string,
    key: string,
    request: CompletionRequest,
    options: CompleteOptions,
  ): Promise<Dispatched> {
    return new Promise<Dispatched>((resolve, reject) => {
      const waiter: Waiter = { callId, resolve, reject, onSend: options.onSend, signal: options.signal };
      const pending = this.active.get(key);
      if (pending) {
        pending.waiters.push(waiter);
        return;
      }
      const entry: Entry = {
        customId: key,
        request,
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
      await callBatchApi(this, "cancel", (signal) => this.api.cancel(batchId, signal)).catch(() => {});
    }
    return ids;
  }

  /** Stop: waiting calls reject (their batches stay recorded for a resume). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
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
    }, this.batch.idleMs);
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
        for (const w of e.waiters) w.resolve({ response: answered, paid: false });
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

  /** `entries` in batches within the provider's size limits. */
  *chunks(entries: Entry[]): Generator<Entry[]> {
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
  submit(entries: Entry[], attempt: number): void {
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
    if (a > this.batch.maxRetries) {
      for (const e of entries) {
        this.reject(
          e,
          new BatchRequestError(
            `${this.id}: request ${e.customId.slice(0, 12)} already failed in ${a} provider batches of earlier sessions ` +
              `(--batch-max-retries ${this.batch.maxRetries}); run without --batch-api or raise the limit`,
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
    void followBatch(this, job).finally(() => this.jobs.delete(job));
  }

  // ---- calls -------------------------------------------------------------------------------------

  /** `e` goes to the provider in this session: its first call pays (onSend: the spend log). */
  send(e: Entry): void {
    e.resumed = false;
    if (e.sent) return;
    e.sent = true;
    if (!e.payer) {
      e.payer = e.waiters[0];
      try {
        e.payer?.onSend?.();
      } catch {
        // the caller's hook failing must not lose the batch
      }
    }
    this.o.sent(e.payer?.callId ?? e.customId, e.attempt);
  }

  /** A batch of an earlier session was collected: its custom ids no longer point at it. */
  forgetStored(job: Job): void {
    if (!job.resumed || !this.stored) return;
    for (const id of job.record.customIds) if (this.stored.get(id) === job) this.stored.delete(id);
  }

  /** The answer of `e`: its payer pays (unless an earlier session did), the others share it at cost 0. */
  answer(e: Entry, res: ProviderResponse): void {
    this.active.delete(e.customId);
    for (const w of e.waiters) w.resolve({ response: res, paid: w === e.payer && !e.resumed });
  }

  reject(e: Entry, err: unknown): void {
    if (this.active.get(e.customId) === e) this.active.delete(e.customId);
    for (const w of e.waiters) w.reject(err);
    e.waiters = [];
  }

  /** Wait `ms` between polls; false when the black box was closed meanwhile. */
  wait(ms: number): Promise<boolean> {
    if (this.isClosed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = {
        timer: setTimeout(() => {
          this.waits.delete(w);
          resolve(!this.isClosed);
        }, ms),
        resolve,
      };
      this.waits.add(w);
    });
  }

  emitBatch(type: BatchEvent["type"], job: Job, state: BatchState, message?: string): void {
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
