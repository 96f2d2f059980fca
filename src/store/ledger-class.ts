/**
 * The run ledger's one public face: a `Ledger` with every operation of the concepts kept in the files
 * beside it (runs, evaluations, checkpoints, examples, run lock, spend log, batch jobs, results), so
 * callers hold one object. Obtain it with `openLedger` (./open-ledger.ts).
 *
 * Every write for a run whose lock this ledger holds is fenced (`lock.fenced`): it checks, in its own
 * transaction, that the lock's generation is still this holder's, and throws LockLostError otherwise.
 */
import type { BatchJobRecord, BatchStore } from "../blackbox/batch/types.js";
import type { DialectName, SqlDriver } from "../db/driver.js";
import type { Connection } from "../db/open.js";
import type { Example } from "../tasks/types.js";
import * as batch from "./batch-jobs.js";
import * as checkpoints from "./checkpoints.js";
import type { LedgerContext } from "./context.js";
import * as evals from "./evaluations.js";
import * as examples from "./examples.js";
import { finishRun } from "./results.js";
import type { RunLock, RunLockHolder } from "./run-lock.js";
import * as lock from "./run-lock.js";
import * as runs from "./runs.js";
import type { SpendEntry, SpendTotals } from "./spend-log.js";
import * as spend from "./spend-log.js";
import type { EvaluationRecord, RunConfig, RunRecord, RunResult, RunStatus, RunSummary } from "./types.js";

/** A connection to one ledger (file or database). Obtain it with `openLedger`; `close()` it when done. */
export class Ledger {
  private closed = false;
  private readonly ctx: LedgerContext;

  /** @internal use `openLedger`. */
  constructor(
    private readonly db: Connection,
    /** Absolute path of the ledger file (or ":memory:"), or its postgres:// URL without credentials. */
    readonly path: string,
    now: () => Date,
    /** True when this is a snapshot copy of a file this process cannot write (nothing written lands). */
    readonly isSnapshot = false,
  ) {
    this.ctx = { db, path, now, isClosed: () => this.closed, fences: new Map() };
  }

  /** The database connection (the rate limiter and the sweep queue keep their tables beside the ledger's). */
  get driver(): SqlDriver {
    return this.db;
  }

  /** "sqlite" (a file, the default) or "postgres" (a shared server). */
  get dialect(): DialectName {
    return this.db.dialect.name;
  }

  /**
   * Where the response cache lives by default when the ledger does: the ledger's server database (its
   * URL, credentials included: never print it; opening it shares this connection), or undefined for a
   * ledger file (the cache file).
   */
  sharedCacheLocation(): string | undefined {
    return this.db.dialect.ownsDatabase ? undefined : this.db.target;
  }

  /**
   * Run `fn` in one transaction (nested calls become savepoints): all its writes land, or none. It takes
   * the write lock up front (SQLite: IMMEDIATE; Postgres: an advisory lock), so concurrent writers wait
   * instead of failing on a lock upgrade or racing for the next sequence number.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  /**
   * Record a new run (status "running") and return its id, e.g. `antonyms-7f3a2c`: the task's name
   * and a hash of the config, creation time and a counter, unique within the file. The config is
   * checked (UserError on a bad field) and must not hold secrets (see `assertNoSecrets`).
   */
  createRun(input: RunConfig): string {
    return runs.createRun(this.ctx, input);
  }

  /** The first run whose stored configuration equals `config` (e.g. a sweep cell's), or undefined. */
  findRunByConfig(config: RunConfig): string | undefined {
    return runs.findRunByConfig(this.ctx, config);
  }

  /**
   * The run of `config`: the existing one, or a new one; in one transaction, so that processes on
   * several machines asking for the same configuration at once get the same run.
   */
  findOrCreateRun(config: RunConfig): { id: string; created: boolean } {
    return runs.findOrCreateRun(this.ctx, config);
  }

  /**
   * The full id of a run given its id or a unique prefix of it. UserError for an unknown id (saying
   * that `instructzero runs` lists them) or an ambiguous prefix.
   */
  resolveRunId(idOrPrefix: string): string {
    return runs.resolveRunId(this.ctx, idOrPrefix);
  }

  /** One run (id or unique id prefix); UserError if unknown. */
  getRun(id: string): RunRecord {
    return runs.getRun(this.ctx, id);
  }

  /** The live holder of a run's lock, or null. */
  lockHolder(runId: string): RunLockHolder | null {
    return lock.lockHolder(this.ctx, runId);
  }

  /** A holder whose heartbeat is too old, or whose process on this host no longer exists. */
  isStale(h: RunLockHolder): boolean {
    return lock.isStale(this.ctx, h);
  }

  /**
   * Take the run's lock: one process at a time runs a run. A lock held by a live process (this host:
   * the process exists; another host: a heartbeat within RUN_LOCK_STALE_MS) is a RunLockedError naming
   * the holder; a stale one (its process died) is taken over. The lock's heartbeat is refreshed every
   * RUN_LOCK_HEARTBEAT_MS until `release()`.
   */
  acquireRunLock(runId: string): RunLock {
    return lock.acquireRunLock(this.ctx, runId);
  }

  /**
   * Log a request about to be sent (state "pending", cost = its worst case), before it is sent; returns
   * its number for {@link closeSpend}. A pending entry left by a process that died (a crash with the
   * request in flight) becomes "lost" when the run resumes ({@link markLostSpend}) and is counted as paid
   * at its worst case: the provider may have answered it.
   */
  openSpend(runId: string, entry: { phase: string; source: string; worstCostUsd: number }): number {
    return lock.fenced(this.ctx, runId, () => spend.openSpend(this.ctx, runId, entry));
  }

  /** Settle a pending request: paid (its real usage), or `null` when nothing was paid (failed, cached). */
  closeSpend(runId: string, seq: number, paid: SpendEntry | null): void {
    lock.fenced(this.ctx, runId, () => spend.closeSpend(this.ctx, runId, seq, paid));
  }

  /**
   * Settle a pending attempt given up without an answer (timeout, lost connection, unreadable answer):
   * state "abandoned", still counted at its worst case, since the provider may have processed and
   * billed it.
   */
  abandonSpend(runId: string, seq: number): void {
    lock.fenced(this.ctx, runId, () => spend.abandonSpend(this.ctx, runId, seq));
  }

  /** Record one paid request at once (no pending step). */
  recordSpend(runId: string, entry: SpendEntry): void {
    lock.fenced(this.ctx, runId, () => spend.recordSpend(this.ctx, runId, entry));
  }

  /**
   * Requests a previous session of the run left pending (it died with them in flight) become "lost":
   * counted as paid at their worst case. Call it holding the run's lock. Returns how many.
   */
  markLostSpend(runId: string): number {
    return lock.fenced(this.ctx, runId, () => spend.markLostSpend(this.ctx, runId));
  }

  /**
   * A run's paid requests summed per source ("target", "proposer", "judge"), optionally of one phase:
   * answered ones, and those lost in a crash or abandoned (at their worst case; `lost` and `abandoned`
   * say how many); pending ones
   * (in flight now) are not included.
   */
  spendBySource(runId: string, phase?: string): Record<string, SpendTotals> {
    return spend.spendBySource(this.ctx, runId, phase);
  }

  /**
   * Change a run's spending limits (`maxCalls`, `maxCost`; `null` removes one), e.g. to continue a run
   * that stopped at its budget. Nothing else of a run's configuration can change: it defines the run.
   */
  updateLimits(
    runId: string,
    limits: { maxCalls?: number | null; maxCost?: number | null; baseUrl?: string | null },
  ): RunConfig {
    return lock.fenced(this.ctx, runId, () => runs.updateLimits(this.ctx, runId, limits));
  }

  /** Every run in creation order, with evaluation counts, best score and cost. */
  listRuns(): RunSummary[] {
    return runs.listRuns(this.ctx);
  }

  /**
   * Record one evaluation, atomically. Idempotent on (runId, index): re-appending an index whose
   * stored result (iteration, z, instruction, score, scores, outputs, reused) is identical is a
   * no-op that keeps the first record (its calls/tokens/cost/timings are not compared, since a
   * resumed run replays from cache); a different result throws LedgerConflictError. Indices may
   * arrive in any order. Returns true when the record was added, false for a no-op.
   */
  appendEvaluation(runId: string, record: EvaluationRecord): boolean {
    return lock.fenced(this.ctx, runId, () => evals.appendEvaluation(this.ctx, runId, record));
  }

  /** All evaluations of a run, by index. */
  evaluations(runId: string): EvaluationRecord[] {
    return evals.evaluations(this.ctx, runId);
  }

  /** Number of evaluations recorded for a run. */
  countEvaluations(runId: string): number {
    return evals.countEvaluations(this.ctx, runId);
  }

  /** Store an optimiser checkpoint value (any JSON value) under `key`; `undefined` deletes it. */
  setState(runId: string, key: string, value: unknown): void {
    lock.fenced(this.ctx, runId, () => checkpoints.setState(this.ctx, runId, key, value));
  }

  /** A checkpoint value stored by `setState`, or undefined. */
  getState<T = unknown>(runId: string, key: string): T | undefined {
    return checkpoints.getState<T>(this.ctx, runId, key);
  }

  /** Keys of a run's checkpoint values. */
  stateKeys(runId: string): string[] {
    return checkpoints.stateKeys(this.ctx, runId);
  }

  /**
   * Keep a run's example set (e.g. "validation": the inputs and answers behind each record's
   * `scores`/`outputs`, "test") so reports can show input / expected / output per example.
   */
  setExamples(runId: string, split: string, list: Example[]): void {
    lock.fenced(this.ctx, runId, () => examples.setExamples(this.ctx, runId, split, list));
  }

  /**
   * Keep the examples of a task given in memory (with their sha256), so the run can be resumed
   * without them. Storing different examples for the same run is an error.
   */
  setTaskExamples(runId: string, sha256: string, list: Example[]): void {
    lock.fenced(this.ctx, runId, () => examples.setTaskExamples(this.ctx, runId, sha256, list));
  }

  /** The in-memory task examples stored by `setTaskExamples`, or null. */
  getTaskExamples(runId: string): { sha256: string; examples: Example[] } | null {
    return examples.getTaskExamples(this.ctx, runId);
  }

  /** An example set stored by `setExamples`, or null. */
  getExamples(runId: string, split: string): Example[] | null {
    return examples.getExamples(this.ctx, runId, split);
  }

  /** Set a run's status ("interrupted", "stopped", "failed" ... ) with an optional message (e.g. the error). */
  setStatus(runId: string, status: RunStatus, message?: string): void {
    lock.fenced(this.ctx, runId, () => runs.setStatus(this.ctx, runId, status, message));
  }

  /** Record the final result (chosen evaluation, test score, totals) and mark the run "completed". */
  finishRun(runId: string, result: RunResult): void {
    lock.fenced(this.ctx, runId, () => finishRun(this.ctx, runId, result));
  }

  /** A provider batch of a run (`--batch-api`), by its key; undefined when none is recorded. */
  getBatchJob(runId: string, key: string): BatchJobRecord | undefined {
    return batch.getBatchJob(this.ctx, runId, key);
  }

  /** Record (insert or replace) a provider batch of a run; its creation time is kept. Committed on return. */
  putBatchJob(runId: string, job: BatchJobRecord): void {
    lock.fenced(this.ctx, runId, () => batch.putBatchJob(this.ctx, runId, job));
  }

  /** A run's provider batches in creation order; `open`: only those not yet collected (to resume or cancel). */
  batchJobs(runId: string, options: { open?: boolean } = {}): BatchJobRecord[] {
    return batch.batchJobs(this.ctx, runId, options);
  }

  /**
   * The {@link BatchStore} of a run, for the batch black box. Without `runId` (a new run is created after
   * its black box), the run is found at first use: the one whose lock this process took since this call
   * (the black box is first used by the running run, which holds its lock).
   */
  batchStore(runId?: string): BatchStore {
    return batch.batchStore(this.ctx, runId);
  }

  /** Close the ledger (idempotent): its connection closes once nothing else in the process shares it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
