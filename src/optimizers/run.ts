import type { BlackBox } from "../blackbox/types.js";
import { type RunConfig, RunOptionsSchema } from "../config/schema.js";
import { addJudgeUsage, evaluateInstruction, zeroJudgeUsage } from "../evaluation/evaluate.js";
import { createJudgeScorer } from "../metrics/judge.js";
import { builtinScorer } from "../metrics/scorer.js";
import type { JudgeMetric, JudgeUsage, Scorer } from "../metrics/types.js";
import type { Ledger } from "../store/ledger.js";
import type { EvaluationRecord, RunStatus, RunTotals, TestResult } from "../store/types.js";
import { sampleDemos, splitTask } from "../tasks/splits.js";
import { BudgetExhausted, BudgetedBlackBox, SharedBudget } from "./budget.js";
import { getMethod } from "./methods/index.js";
import { loadRunTask } from "./run-task.js";
import { bestIndex } from "./score-candidate.js";
import type {
  MethodContext,
  PhaseTiming,
  PointProposer,
  ProgressEvent,
  SoftPromptGenerator,
} from "./types.js";

export { makeRunConfig } from "./run-config.js";

/** Defaults of a run's configuration (they reproduce the paper), read from the schema (src/config/schema.ts). */
export const RUN_DEFAULTS: Readonly<Omit<RunConfig, "task">> = (() => {
  const { task: _task, ...defaults } = RunOptionsSchema.parse({ task: "-" });
  return Object.freeze(defaults);
})();

/** Everything a run needs besides its stored configuration. */
export interface RunDeps {
  ledger: Ledger;
  /** The black box being optimised for (unbudgeted; the run wraps it). */
  blackBox: BlackBox;
  /** APE's proposer model (default: the black box). */
  proposer?: BlackBox;
  generator?: SoftPromptGenerator;
  /** Where soft prompts come from [the method's own]. */
  pointProposer?: PointProposer;
  /** Scores answers [the task's metric]. */
  metric?: Scorer;
  /** An LLM-judge metric and its black box (unbudgeted; the run wraps it with the same budget). */
  judge?: { metric: JudgeMetric; blackBox: BlackBox };
  onProgress?: (event: ProgressEvent) => void;
  /** Abort (Ctrl-C): the run stops after the current evaluation and is marked "interrupted". */
  signal?: AbortSignal;
  /** Skip scoring the best instruction on the test split [the run's `test` option]. */
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

const ZERO_USAGE = { calls: 0, cacheHits: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

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
  const method = getMethod(config.method);
  ledger.setStatus(runId, "running");
  const sessionStart = performance.now();
  const timing: PhaseTiming = { generationMs: 0, evaluationMs: 0, boMs: 0 };
  try {
    const task = await loadRunTask(config, ledger, runId);
    const splits = splitTask(task, { seed: config.seed, validationSize: config.validationSize });
    if (!ledger.getExamples(runId, "validation")) {
      ledger.setExamples(runId, "validation", splits.validation);
      ledger.setExamples(runId, "test", splits.test);
    }
    const before = ledger.evaluations(runId);
    const budget = new SharedBudget(
      { maxCalls: config.maxCalls, maxCost: config.maxCost },
      {
        calls: before.reduce((s, r) => s + r.calls + (r.judge?.calls ?? 0), 0),
        costUsd: before.reduce((s, r) => s + r.costUsd + (r.judge?.costUsd ?? 0), 0),
      },
    );
    const budgeted = new BudgetedBlackBox(deps.blackBox, budget);
    const metric = deps.judge
      ? createJudgeScorer(deps.judge.metric, new BudgetedBlackBox(deps.judge.blackBox, budget))
      : (deps.metric ?? builtinScorer(task.metric));
    const ctx: MethodContext = {
      runId,
      config,
      ledger,
      blackBox: budgeted,
      proposer: deps.proposer ? new BudgetedBlackBox(deps.proposer, budget) : undefined,
      splits,
      metric,
      demos: sampleDemos(splits.promptGen, config.demos, config.seed),
      generator: deps.generator,
      pointProposer: deps.pointProposer,
      maxTokens: config.maxTokens,
      onProgress: deps.onProgress,
      signal: deps.signal,
      timing,
    };

    let stopReason: string | undefined;
    try {
      await method.run(ctx);
    } catch (err) {
      if (!(err instanceof BudgetExhausted)) throw err;
      stopReason = err.reason;
    }
    const evaluations = ledger.evaluations(runId);
    const interrupted = (): RunOutcome => {
      ledger.setStatus(runId, "interrupted", "interrupted by the user");
      return outcome(
        runId,
        "interrupted",
        evaluations,
        null,
        totalsOf(evaluations, null, ledger, runId, timing, sessionStart),
      );
    };
    if (deps.signal?.aborted) return interrupted();
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
    if (!(deps.skipTest ?? !config.test)) {
      deps.onProgress?.({
        phase: "test",
        evaluations: evaluations.length,
        budget: config.budget,
        bestScore: evaluations[b].score,
      });
      const ev = await evaluateInstruction(deps.blackBox, evaluations[b].instruction, splits.test, {
        metric: deps.judge ? createJudgeScorer(deps.judge.metric, deps.judge.blackBox) : metric,
        template: "test",
        split: "test",
        maxTokens: ctx.maxTokens,
      });
      if (deps.signal?.aborted) return interrupted();
      const feedback = ev.examples.some((e) => e.feedback !== undefined)
        ? ev.examples.map((e) => e.feedback ?? null)
        : undefined;
      test = {
        score: ev.score,
        scores: ev.scores,
        outputs: ev.examples.map((e) => e.output),
        inputs: splits.test.map((e) => e.input),
        answers: splits.test.map((e) => e.answers),
        ...(feedback ? { feedback } : {}),
        usage: {
          calls: ev.calls,
          cacheHits: ev.cacheHits,
          inputTokens: ev.inputTokens,
          outputTokens: ev.outputTokens,
          costUsd: ev.costUsd,
        },
        ...(ev.judge.calls + ev.judge.cacheHits > 0 ? { judge: ev.judge } : {}),
      };
    }
    const totals = totalsOf(evaluations, test, ledger, runId, timing, sessionStart);
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

/**
 * Totals of a run: `calls`, tokens and `costUsd` are the black box's (validation, proposals, test);
 * `judge*` fields the LLM judge's; `totalCostUsd` both.
 */
function totalsOf(
  evaluations: readonly EvaluationRecord[],
  test: TestResult | null,
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
  const judge: JudgeUsage = zeroJudgeUsage();
  for (const e of [...evaluations, ...(test ? [test.usage ?? ZERO_USAGE] : [])]) {
    t.calls += e.calls;
    t.cacheHits += e.cacheHits;
    t.inputTokens += e.inputTokens;
    t.outputTokens += e.outputTokens;
    t.costUsd += e.costUsd;
  }
  for (const e of [...evaluations, ...(test ? [test] : [])]) if (e.judge) addJudgeUsage(judge, e.judge);
  if (judge.calls + judge.cacheHits > 0) {
    t.judgeCalls = judge.calls;
    t.judgeCacheHits = judge.cacheHits;
    t.judgeInputTokens = judge.inputTokens;
    t.judgeOutputTokens = judge.outputTokens;
    t.judgeCostUsd = judge.costUsd;
  }
  t.totalCostUsd = t.costUsd + judge.costUsd;
  return t;
}
