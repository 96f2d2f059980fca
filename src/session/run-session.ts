/**
 * A run session: the one way a run is opened, run, read and closed, by the library
 * (optimizeInstruction, resumeRun), the CLI (optimize, resume, transfer), the sweep and the queue
 * worker alike.
 *
 *   const session = await RunSession.open({ config, store: "./runs.sqlite", onProgress });
 *   try {
 *     const outcome = await session.run();
 *   } finally {
 *     await session.close();
 *   }
 *
 * Opening a new run opens everything it needs (black box, metric, judge, proposer, generator) before
 * the run is recorded, so a failing start leaves no run behind; opening a stored run (resume) stores
 * new limits only once everything opened.
 */
import type { BlackBoxOptions } from "../blackbox/options.js";
import type { BlackBoxFunction } from "../blackbox/providers/function.js";
import type { BlackBox } from "../blackbox/types.js";
import type { RunConfig } from "../config/schema.js";
import type { MetricFunction } from "../metrics/types.js";
import { loadOutcome, type RunOutcome } from "../optimizers/outcome.js";
import { executeRun, type RunDeps } from "../optimizers/run.js";
import { layoutRun } from "../optimizers/run-layout.js";
import { loadRunTaskForPlan } from "../optimizers/run-task.js";
import { openRunDeps } from "../optimizers/setup.js";
import { type TransferOptions, type TransferRow, transferRun } from "../optimizers/transfer.js";
import type { ProgressEvent } from "../optimizers/types.js";
import type { Ledger } from "../store/ledger.js";
import type { Example, Task } from "../tasks/types.js";
import { openRunStore, type StoreLocation } from "./store.js";

/** New spending limits of a stored run (null removes one). */
export interface RunLimits {
  maxCalls?: number | null;
  maxCost?: number | null;
  /**
   * A new base URL of the target's server (it moved); null: back to the provider's default. Answers
   * cached under the old URL are not reused (the base URL is part of every cache key of a custom server).
   */
  baseUrl?: string | null;
}

/** What every session may be given. */
export interface SessionOptions {
  /**
   * The run store: a ledger file or a postgres:// URL [the default location], false: in memory, or an
   * open ledger (shared by several sessions; the caller closes it).
   */
  store?: StoreLocation | Ledger;
  /** Abort: the run stops after the evaluations under way and ends "interrupted" (resumable). */
  signal?: AbortSignal;
  /** Progress of the run: phase, evaluations, best score, the candidate just scored. */
  onProgress?: (event: ProgressEvent) => void;
  /** Skip scoring the winner on the test split [the run's `test` option]. */
  skipTest?: boolean;
  /** The run's function black box (a run whose target is function:...). */
  blackBoxFunction?: BlackBoxFunction;
  /** The run's metric function (a run whose metric is "function"). */
  metricFunction?: MetricFunction;
  /** Overrides of the black-box options (tests, benchmarks). */
  blackBoxOptions?: BlackBoxOptions;
  /** Called once everything the run needs opened, before the run is recorded or run. */
  beforeRun?: () => void;
}

/** Open a new run. */
export interface NewRunOptions extends SessionOptions {
  /** The run's checked configuration (makeRunConfig). */
  config: RunConfig;
  /** The task's examples given in memory (stored with the run). */
  examples?: Example[];
  /**
   * The run's task, already loaded (checked) by the caller; else it is loaded (checked) here first
   * (not with `reuse`: a sweep cell's task is loaded by its run).
   */
  task?: Task;
  /**
   * Continue the stored run with the same configuration when there is one (a completed one is read
   * back without opening anything); else create it. Default: always a new run.
   */
  reuse?: boolean;
}

/** Open a stored run. */
export interface StoredRunOptions extends SessionOptions {
  /** The run's id (or a unique prefix). */
  runId: string;
  /** New spending limits, stored once everything the run needs opened. */
  limits?: RunLimits;
  /** Only read the run (outcome, transfer): open none of its models. */
  readOnly?: boolean;
}

/** One run, opened: run it, read its outcome, close it. */
export class RunSession {
  private closed = false;

  private constructor(
    /** The run's id. */
    readonly runId: string,
    /** The run store. */
    readonly ledger: Ledger,
    private readonly ownsLedger: boolean,
    private readonly deps: (RunDeps & { close(): Promise<void> }) | undefined,
  ) {}

  /** Open a new run (`config`) or a stored one (`runId`). */
  static async open(options: NewRunOptions | StoredRunOptions): Promise<RunSession> {
    return "runId" in options ? RunSession.openStored(options) : RunSession.openNew(options);
  }

  private static async openNew(options: NewRunOptions): Promise<RunSession> {
    const { config } = options;
    // the task is loaded (and checked) before anything is created or spent
    const task =
      options.task ??
      (options.reuse ? undefined : await loadRunTaskForPlan(config, { examples: options.examples }));
    // the splits too (e.g. a file whose inputs are all duplicates leaves too few): checked before a run exists
    if (task) layoutRun(config, task);
    const { ledger, owns } = storeOf(options, true);
    let deps: (RunDeps & { close(): Promise<void> }) | undefined;
    try {
      const existing = options.reuse ? ledger.findRunByConfig(config) : undefined;
      // a finished run is read back without opening anything
      if (existing !== undefined && ledger.getRun(existing).status === "completed")
        return new RunSession(existing, ledger, owns, undefined);
      // everything the run needs opens before a new run is recorded: a failing start leaves no run behind
      deps = await openDeps(config, ledger, options, existing);
      // a black box that loads lazily (a local model, maybe downloaded) must load now: not in a run
      await readyAll(deps);
      options.beforeRun?.();
      const runId = options.reuse
        ? (existing ?? ledger.findOrCreateRun(config).id)
        : ledger.createRun(config);
      if (options.examples && config.examplesHash)
        ledger.setTaskExamples(runId, config.examplesHash, options.examples);
      return new RunSession(runId, ledger, owns, deps);
    } catch (err) {
      await deps?.close();
      if (owns) ledger.close();
      throw err;
    }
  }

  private static async openStored(options: StoredRunOptions): Promise<RunSession> {
    const { ledger, owns } = storeOf(options, false);
    let deps: (RunDeps & { close(): Promise<void> }) | undefined;
    try {
      const runId = ledger.resolveRunId(options.runId);
      if (options.readOnly) return new RunSession(runId, ledger, owns, undefined);
      const limits = options.limits ?? {};
      const hasLimits =
        limits.maxCalls !== undefined || limits.maxCost !== undefined || limits.baseUrl !== undefined;
      deps = await openDeps(withLimits(ledger.getRun(runId).config, limits), ledger, options, runId);
      // new limits are stored only once the run's black box, metric and generator opened
      if (hasLimits) ledger.updateLimits(runId, limits);
      options.beforeRun?.();
      return new RunSession(runId, ledger, owns, deps);
    } catch (err) {
      await deps?.close();
      if (owns) ledger.close();
      throw err;
    }
  }

  /** The run's stored configuration. */
  get config(): RunConfig {
    return this.ledger.getRun(this.runId).config;
  }

  /** The run's black box (undefined when nothing was opened: a completed or read-only run). */
  get blackBox(): BlackBox | undefined {
    return this.deps?.blackBox;
  }

  /**
   * Run to the end (or until the signal aborts) and return the outcome; a completed run returns its
   * recorded outcome. May be called again after a RunLockedError (another process holds the run).
   */
  async run(): Promise<RunOutcome> {
    if (this.deps) return executeRun(this.runId, this.deps);
    const outcome = this.outcome();
    if (outcome.status === "completed") return outcome;
    throw new Error(`run ${this.runId} was opened read-only: it cannot be run`);
  }

  /** The run's outcome as stored, finished or not. */
  outcome(): RunOutcome {
    return loadOutcome(this.ledger, this.runId);
  }

  /** Score the run's winner, top candidates and baselines on other targets (see transferRun). */
  transfer(
    targets: readonly string[],
    options: TransferOptions = {},
  ): Promise<{ rows: TransferRow[]; stopped?: string }> {
    return transferRun(this.ledger, this.runId, targets, options);
  }

  /** Close what the session opened (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.deps?.close();
    } finally {
      if (this.ownsLedger) this.ledger.close();
    }
  }
}

/** Wait until the run's black boxes can answer (see BlackBox.ready). */
async function readyAll(deps: RunDeps): Promise<void> {
  for (const bb of [deps.blackBox, deps.proposer, deps.judge?.blackBox]) await bb?.ready?.();
}

/** The ledger of a session: the one given, or opened at the location. */
function storeOf(options: SessionOptions, create: boolean): { ledger: Ledger; owns: boolean } {
  const s = options.store;
  if (s !== undefined && s !== false && typeof s === "object") return { ledger: s, owns: false };
  return { ledger: openRunStore(s, { create }), owns: true };
}

/** Open what a run of `config` needs (see openRunDeps). */
function openDeps(config: RunConfig, ledger: Ledger, options: SessionOptions, runId?: string) {
  return openRunDeps(
    config,
    ledger,
    {
      onProgress: options.onProgress,
      signal: options.signal,
      skipTest: options.skipTest,
      blackBoxFunction: options.blackBoxFunction,
      metricFunction: options.metricFunction,
      blackBoxOptions: options.blackBoxOptions,
    },
    runId,
  );
}

/** `config` with new limits (as Ledger.updateLimits stores them). */
function withLimits(config: RunConfig, limits: RunLimits): RunConfig {
  const out: RunConfig = { ...config };
  for (const key of ["maxCalls", "maxCost"] as const) {
    const v = limits[key];
    if (v === null) delete out[key];
    else if (v !== undefined) out[key] = v;
  }
  if (limits.baseUrl === null) delete out.baseUrl;
  else if (limits.baseUrl !== undefined) out.baseUrl = limits.baseUrl;
  return out;
}
