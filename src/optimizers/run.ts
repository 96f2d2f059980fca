import type { BlackBox } from "../blackbox/types.js";
import { evaluateInstruction } from "../evaluation/evaluate.js";
import type { Ledger } from "../store/ledger.js";
import type { EvaluationRecord, RunConfig, RunStatus, RunTotals, TestResult } from "../store/types.js";
import { loadTask } from "../tasks/load.js";
import { sampleDemos, splitTask } from "../tasks/splits.js";
import type { MetricName } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
import { runApe } from "./ape.js";
import { BudgetExhausted, BudgetedBlackBox } from "./budget.js";
import { bestIndex } from "./score-candidate.js";
import { runSoftPromptSearch } from "./soft-prompt-search.js";
import type {
  MethodContext,
  PhaseTiming,
  PointProposer,
  ProgressEvent,
  SoftPromptGenerator,
} from "./types.js";

/** Defaults of a run's configuration (they reproduce the paper). */
export const RUN_DEFAULTS = {
  method: "instructzero",
  budget: 150,
  initialPoints: 25,
  batchSize: 25,
  validationSize: 20,
  nTokens: 5,
  intrinsicDim: 10,
  batchMode: "reference",
  numDemos: 5,
  maxTokens: 64,
  seed: 0,
} as const;

/** Everything a run needs besides its stored configuration. */
export interface RunDeps {
  ledger: Ledger;
  /** The black box being optimised for (unbudgeted; the run wraps it). */
  blackBox: BlackBox;
  /** APE's proposer model (default: the black box). */
  proposer?: BlackBox;
  generator?: SoftPromptGenerator;
  pointProposer?: PointProposer;
  onProgress?: (event: ProgressEvent) => void;
  /** Abort (Ctrl-C): the run stops after the current evaluation and is marked "interrupted". */
  signal?: AbortSignal;
  /** Skip scoring the best instruction on the test split. */
  skipTest?: boolean;
}

/** How a run (or one session of it) ended. */
export interface RunOutcome {
  runId: string;
  status: RunStatus;
  /** Why a "stopped" run stopped (budget reached). */
  reason?: string;
  best: EvaluationRecord | null;
  test: TestResult | null;
  totals: RunTotals;
  evaluations: EvaluationRecord[];
}

/**
 * Run (or continue) the optimisation stored as `runId` in the ledger, to its budget, then score the best
 * instruction on the test split and record the result. Calling it again on an interrupted run continues
 * it; on a completed run it returns the stored result.
 */
export async function executeRun(runId: string, deps: RunDeps): Promise<RunOutcome> {
  const { ledger } = deps;
  const run = ledger.getRun(runId);
  const config = run.config;
  if (run.status === "completed" && run.result) {
    const evaluations = ledger.evaluations(runId);
    return {
      runId,
      status: "completed",
      best: evaluations[run.result.bestIndex] ?? null,
      test: run.result.test,
      totals: run.result.totals,
      evaluations,
    };
  }
  ledger.setStatus(runId, "running");
  const sessionStart = performance.now();
  const timing: PhaseTiming = { generationMs: 0, evaluationMs: 0, boMs: 0 };
  try {
    const task = await loadTask(config.taskFile ?? config.task, {
      dataDir: config.dataDir as string | undefined,
      metric: config.metric as MetricName | undefined,
      seed: config.seed,
    });
    const splits = splitTask(task, { seed: config.seed, validationSize: config.validationSize });
    if (!ledger.getExamples(runId, "validation")) {
      ledger.setExamples(runId, "validation", splits.validation);
      ledger.setExamples(runId, "test", splits.test);
    }
    const before = ledger.evaluations(runId);
    const spent = {
      calls: before.reduce((s, r) => s + r.calls, 0),
      costUsd: before.reduce((s, r) => s + r.costUsd, 0),
    };
    const budgeted = new BudgetedBlackBox(
      deps.blackBox,
      { maxCalls: config.maxCalls, maxCost: config.maxCost },
      spent,
    );
    const ctx: MethodContext = {
      runId,
      config,
      ledger,
      blackBox: budgeted,
      proposer: deps.proposer,
      splits,
      metric: task.metric,
      demos: sampleDemos(splits.promptGen, Number(config.numDemos ?? RUN_DEFAULTS.numDemos), config.seed),
      generator: deps.generator,
      pointProposer: deps.pointProposer,
      maxTokens: Number(config.maxTokens ?? RUN_DEFAULTS.maxTokens),
      onProgress: deps.onProgress,
      signal: deps.signal,
      timing,
    };

    let stopReason: string | undefined;
    try {
      if (config.method === "ape") await runApe(ctx);
      else if (config.method === "instructzero" || config.method === "uniform")
        await runSoftPromptSearch(ctx);
      else throw new UserError(`unknown method "${config.method}" (known: instructzero, uniform, ape)`);
    } catch (err) {
      if (!(err instanceof BudgetExhausted)) throw err;
      stopReason = err.reason;
    }
    const evaluations = ledger.evaluations(runId);
    if (deps.signal?.aborted) {
      ledger.setStatus(runId, "interrupted", "interrupted by the user");
      return outcome(
        runId,
        "interrupted",
        evaluations,
        null,
        totalsOf(evaluations, null, ledger, runId, timing, sessionStart),
      );
    }
    const b = bestIndex(evaluations);
    if (b < 0) {
      const reason = stopReason ?? "no evaluation was made";
      ledger.setStatus(runId, "stopped", reason);
      return {
        ...outcome(
          runId,
          "stopped",
          evaluations,
          null,
          totalsOf(evaluations, null, ledger, runId, timing, sessionStart),
        ),
        reason,
      };
    }
    let test: TestResult | null = null;
    let testUsage = { calls: 0, cacheHits: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    if (!deps.skipTest) {
      deps.onProgress?.({
        phase: "test",
        evaluations: evaluations.length,
        budget: config.budget,
        bestScore: evaluations[b].score,
      });
      const ev = await evaluateInstruction(deps.blackBox, evaluations[b].instruction, splits.test, {
        metric: task.metric,
        template: "test",
        maxTokens: ctx.maxTokens,
      });
      test = {
        score: ev.score,
        scores: ev.scores,
        outputs: ev.examples.map((e) => e.output),
        inputs: splits.test.map((e) => e.input),
        answers: splits.test.map((e) => e.answers),
      };
      testUsage = ev;
    }
    const totals = totalsOf(evaluations, testUsage, ledger, runId, timing, sessionStart);
    ledger.finishRun(runId, { bestIndex: b, test, totals });
    if (stopReason) ledger.setStatus(runId, "stopped", stopReason);
    return {
      ...outcome(runId, stopReason ? "stopped" : "completed", evaluations, test, totals),
      reason: stopReason,
    };
  } catch (err) {
    ledger.setStatus(runId, "failed", err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    const prev = ledger.getState<PhaseTiming & { wallMs: number }>(runId, "timing") ?? {
      generationMs: 0,
      evaluationMs: 0,
      boMs: 0,
      wallMs: 0,
    };
    ledger.setState(runId, "timing", {
      generationMs: prev.generationMs + timing.generationMs,
      evaluationMs: prev.evaluationMs + timing.evaluationMs,
      boMs: prev.boMs + timing.boMs,
      wallMs: prev.wallMs + (performance.now() - sessionStart),
    });
  }
}

function outcome(
  runId: string,
  status: RunStatus,
  evaluations: EvaluationRecord[],
  test: TestResult | null,
  totals: RunTotals,
): RunOutcome {
  const b = bestIndex(evaluations);
  return { runId, status, best: b < 0 ? null : evaluations[b], test, totals, evaluations };
}

function totalsOf(
  evaluations: readonly EvaluationRecord[],
  test: {
    calls: number;
    cacheHits: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  } | null,
  ledger: Ledger,
  runId: string,
  timing: PhaseTiming,
  sessionStart: number,
): RunTotals {
  const prev = ledger.getState<PhaseTiming & { wallMs: number }>(runId, "timing");
  const t: RunTotals = {
    evaluations: evaluations.length,
    calls: 0,
    cacheHits: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    reused: evaluations.filter((e) => e.reused).length,
    distinctInstructions: new Set(evaluations.map((e) => e.instruction)).size,
    wallMs: (prev?.wallMs ?? 0) + (performance.now() - sessionStart),
    generationMs: (prev?.generationMs ?? 0) + timing.generationMs,
    evaluationMs: (prev?.evaluationMs ?? 0) + timing.evaluationMs,
    boMs: (prev?.boMs ?? 0) + timing.boMs,
  };
  for (const e of [...evaluations, ...(test ? [test] : [])]) {
    t.calls += e.calls;
    t.cacheHits += e.cacheHits;
    t.inputTokens += e.inputTokens;
    t.outputTokens += e.outputTokens;
    t.costUsd += e.costUsd;
  }
  return t;
}

/** A complete run configuration from partial options (defaults of the paper). */
export function makeRunConfig(options: Partial<RunConfig> & Pick<RunConfig, "task" | "target">): RunConfig {
  const config: RunConfig = {
    method: RUN_DEFAULTS.method,
    budget: RUN_DEFAULTS.budget,
    seed: RUN_DEFAULTS.seed,
    nTokens: RUN_DEFAULTS.nTokens,
    intrinsicDim: RUN_DEFAULTS.intrinsicDim,
    batchMode: RUN_DEFAULTS.batchMode,
    initialPoints: RUN_DEFAULTS.initialPoints,
    batchSize: RUN_DEFAULTS.batchSize,
    validationSize: RUN_DEFAULTS.validationSize,
    numDemos: RUN_DEFAULTS.numDemos,
    maxTokens: RUN_DEFAULTS.maxTokens,
    ...options,
  };
  for (const k of Object.keys(config)) if (config[k] === undefined) delete config[k];
  if (config.budget < 1) throw new UserError("--budget must be at least 1");
  if (config.method !== "ape" && !config.generator) {
    throw new UserError(`method ${config.method} needs a generator model (--generator)`);
  }
  return config;
}
