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
 *
 * Batch groups (deterministic batches): a request may name its group ({@link BatchGroup}: an id, the
 * group's size and its index in it, e.g. one candidate's validation queries). Then its batch does not
 * depend on timing: a group is cut into chunks by index (`maxBatch` requests, or `stallAt` when smaller:
 * indices 0..chunk-1, ...), and a chunk runs as one batch of its own, in index order, once all its
 * members are queued; requests without a group are never mixed with it. So a batch's composition and order depend only on the requests
 * (what a model with dynamically quantised activations needs for its answers to reproduce). Runnable
 * units run in the order their first request arrived. A chunk that cannot complete runs with the
 * members it has: when no request arrived for `groupWaitMs` (members that never come: answered from a
 * cache, aborted) or when `stallAt` requests wait (the caller's concurrency limit is full, so no other
 * member can arrive). Batches are then deterministic when each chunk's requests can be queued together:
 * the caller lets at least a chunk's worth in at once and sends a group's requests together (in order
 * through a first-in first-out limit, as the black box does).
 */
import { sleep } from "../util/async/index.js";

/** Where a request sits in its batch group (see the module comment). */
export interface BatchGroup {
  /** The group's id (unique per group, e.g. per evaluation). */
  readonly id: string;
  /** Requests in the group. */
  readonly size: number;
  /** This request's index in the group, 0 <= index < size. */
  readonly index: number;
}

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
  /** Batch groups: run an incomplete chunk after this long with no new request, ms (default 250). */
  groupWaitMs?: number;
  /**
   * Batch groups: run an incomplete chunk at once when this many requests wait (the caller's
   * concurrency limit: no more can arrive); default: never.
   */
  stallAt?: number;
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
    /** The batch unit: "" (no group) or the group id and chunk. */
    readonly unit: string,
    /** Index in the group (0 without one). */
    readonly index: number,
    /** Members expected in its chunk (0 without a group). */
    readonly expected: number,
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
  readonly groupWaitMs: number;
  private readonly stallAt: number;
  private readonly keepOnAbort: (reason: unknown) => boolean;
  private queue: Job<In, Out>[] = [];
  /** Requests per chunk of a batch group: maxBatch, or fewer when fewer can be in flight (stallAt). */
  readonly chunkSize: number;
  /** Wakes the loop when a request arrives (batch groups). */
  private wake: (() => void) | null = null;
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
    this.groupWaitMs = options.groupWaitMs ?? 250;
    this.stallAt = options.stallAt ?? Number.POSITIVE_INFINITY;
    this.chunkSize = Math.max(1, Math.min(this.maxBatch, this.stallAt));
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new RangeError(`maxBatch must be an integer >= 1, got ${options.maxBatch}`);
  }

  /** Requests waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queue a request; resolves with what the batch runner gives it. `group`: its batch group (see the
   * module comment); a group whose size or index is not a valid integer is a RangeError.
   */
  submit(input: In, signal?: AbortSignal, group?: BatchGroup): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      let unit = "";
      let expected = 0;
      if (group) {
        const { size, index } = group;
        if (!Number.isInteger(size) || size < 1 || !Number.isInteger(index) || index < 0 || index >= size)
          throw new RangeError(
            `batch group ${group.id}: expected 0 <= index < size (integers), got index ${index}, size ${size}`,
          );
        const chunk = Math.floor(index / this.chunkSize);
        unit = `${group.id}\u0000${chunk}`;
        expected = Math.min(this.chunkSize, size - chunk * this.chunkSize);
      }
      const job = new Job<In, Out>(input, signal, resolve, reject, unit, group?.index ?? 0, expected);
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
      this.wake?.();
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
      let jobs: Job<In, Out>[] | null;
      if (this.queue.every((j) => j.unit === "")) {
        // dynamic batching by arrival
        if (this.queue.length < this.maxBatch && this.maxWaitMs > 0) {
          await sleep(this.maxWaitMs);
          if (!this.queue.length) break;
        }
        jobs = this.queue.every((j) => j.unit === "") ? this.queue.splice(0, this.maxBatch) : null;
        if (!jobs) continue;
      } else {
        jobs = await this.nextGrouped();
        if (!jobs) continue;
      }
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

  /**
   * With batch groups queued: the first runnable unit in arrival order (a complete chunk, or requests
   * without a group after maxWaitMs), taken off the queue; null when the queue changed while waiting
   * (the caller looks again).
   */
  private async nextGrouped(): Promise<Job<In, Out>[] | null> {
    const ready = this.runnable();
    if (ready === "") {
      // requests without a group first in line: wait for more of them as dynamic batching does
      const loose = this.queue.filter((j) => j.unit === "").length;
      if (loose < this.maxBatch && this.maxWaitMs > 0) await sleep(this.maxWaitMs);
      return this.take(this.runnable() === "" ? "" : null);
    }
    if (ready !== null) return this.take(ready);
    // nothing complete: wait for a request, unless none can come (stall) or none came for a while
    if (this.queue.length < this.stallAt && (await this.arrival(this.groupWaitMs))) return null;
    if (!this.queue.length) return null;
    return this.take(this.runnable() ?? this.queue[0].unit);
  }

  /** The first unit in arrival order that may run now ("" for requests without a group), else null. */
  private runnable(): string | null {
    const counts = new Map<string, number>();
    for (const j of this.queue) counts.set(j.unit, (counts.get(j.unit) ?? 0) + 1);
    for (const j of this.queue) if (j.unit === "" || (counts.get(j.unit) ?? 0) >= j.expected) return j.unit;
    return null;
  }

  /** Take the unit's requests off the queue: a group chunk in index order, else the first maxBatch loose ones. */
  private take(unit: string | null): Job<In, Out>[] | null {
    if (unit === null) return null;
    const mine = this.queue.filter((j) => j.unit === unit);
    const jobs = unit === "" ? mine.slice(0, this.maxBatch) : mine.sort((a, b) => a.index - b.index);
    const taken = new Set(jobs);
    this.queue = this.queue.filter((j) => !taken.has(j));
    return jobs.length ? jobs : null;
  }

  /** True when a request arrives within `ms`. */
  private arrival(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(true);
      };
    });
  }
}
