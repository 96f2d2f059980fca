/**
 * Dynamic batching: requests submitted one by one (each with its own promise and abort signal) are
 * collected into batches of at most `maxBatch`, waiting at most `maxWaitMs` after the first one
 * arrives for more to come, and run one batch at a time.
 *
 * A request whose signal aborts while it waits in the queue is removed and rejected with the
 * signal's reason, never run; `keepOnAbort(reason)` names reasons that do not remove a queued
 * request (the local black box keeps requests whose client-side timeout fired while queued: their
 * timeout counts from the start of their batch instead). Once its batch has started, a request's
 * abort is the batch runner's business (see {@link ScheduledJob.startedAt}).
 */
import { sleep } from "../util/async/index.js";

/** A request as the batch runner sees it. */
export interface ScheduledJob<In, Out> {
  readonly input: In;
  readonly signal?: AbortSignal;
  /** performance.now() when its batch started. */
  startedAt: number;
  /** Settle the request (first call wins). */
  resolve(value: Out): void;
  reject(error: unknown): void;
  /** True once resolved or rejected. */
  readonly settled: boolean;
}

/** Options of {@link BatchScheduler}. */
export interface BatchSchedulerOptions {
  /** Largest batch (default 8; the local provider passes its batch size, LOCAL_BATCH_SIZE = 20). */
  maxBatch?: number;
  /** Wait for more requests after the first of a batch arrives, in ms (default 5; 0: none). */
  maxWaitMs?: number;
  /** Abort reasons that leave a queued request in the queue (default: none). */
  keepOnAbort?: (reason: unknown) => boolean;
}

class Job<In, Out> implements ScheduledJob<In, Out> {
  startedAt = 0;
  settled = false;
  detach: () => void = () => {};

  constructor(
    readonly input: In,
    readonly signal: AbortSignal | undefined,
    private readonly res: (v: Out) => void,
    private readonly rej: (e: unknown) => void,
  ) {}

  resolve(value: Out): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.res(value);
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.rej(error);
  }
}

/** Batches submitted requests for `run` (which must settle every job it is given). */
export class BatchScheduler<In, Out> {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  private readonly keepOnAbort: (reason: unknown) => boolean;
  private queue: Job<In, Out>[] = [];
  private running: Promise<void> | null = null;
  /** Batches run so far and their sizes (for benchmarks and tests). */
  readonly batchSizes: number[] = [];

  constructor(
    private readonly run: (jobs: ScheduledJob<In, Out>[]) => Promise<void>,
    options: BatchSchedulerOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 8;
    this.maxWaitMs = options.maxWaitMs ?? 5;
    this.keepOnAbort = options.keepOnAbort ?? (() => false);
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new RangeError(`maxBatch must be an integer >= 1, got ${options.maxBatch}`);
  }

  /** Requests waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queue a request; resolves with what the batch runner gives it. */
  submit(input: In, signal?: AbortSignal): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const job = new Job<In, Out>(input, signal, resolve, reject);
      if (signal?.aborted && !this.keepOnAbort(signal.reason)) {
        job.reject(signal.reason ?? new Error("aborted"));
        return;
      }
      if (signal && !signal.aborted) {
        const onAbort = () => {
          if (this.keepOnAbort(signal.reason)) return;
          const i = this.queue.indexOf(job);
          if (i < 0) return; // already in a batch
          this.queue.splice(i, 1);
          job.reject(signal.reason ?? new Error("aborted"));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        job.detach = () => signal.removeEventListener("abort", onAbort);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Resolves once the queue is empty and no batch runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private pump(): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.queue.length) this.pump();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length) {
      if (this.queue.length < this.maxBatch && this.maxWaitMs > 0) {
        await sleep(this.maxWaitMs);
        if (!this.queue.length) break;
      }
      const jobs = this.queue.splice(0, this.maxBatch);
      const t0 = performance.now();
      for (const j of jobs) j.startedAt = t0;
      this.batchSizes.push(jobs.length);
      try {
        await this.run(jobs);
      } catch (err) {
        for (const j of jobs) j.reject(err);
      }
      for (const j of jobs)
        if (!j.settled) j.reject(new Error("batch ended without an answer for this request"));
    }
  }
}
