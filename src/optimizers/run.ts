import { resolvePrices } from "../blackbox/pricing.js";
import type { BlackBox } from "../blackbox/types.js";
import { type RunConfig, RunOptionsSchema } from "../config/schema.js";
import { evaluateInstruction, zeroJudgeUsage } from "../evaluation/evaluate.js";
import { createJudgeScorer, JUDGE_MAX_TOKENS, renderJudgePrompt } from "../metrics/judge.js";
import { builtinScorer, metricExample } from "../metrics/scorer.js";
import type { JudgeMetric, JudgeUsage, Scorer } from "../metrics/types.js";
import { compareScores, describeComparison } from "../stats/compare.js";
import type { Ledger } from "../store/ledger.js";
import type { EvaluationRecord, RunStatus, RunTotals, TestResult } from "../store/types.js";
import { sampleDemos, splitTask } from "../tasks/splits.js";
import { renderQuery } from "../tasks/templates.js";
import type { Example } from "../tasks/types.js";
import { seedFor } from "../util/rng.js";
import { BudgetExhausted, BudgetedBlackBox, RunBudget, RunInterrupted } from "./budget.js";
import { getMethod } from "./methods/index.js";
import { baselineList, scoreBaselines, testInterval } from "./phases/baselines.js";
import { scoreInitCandidates } from "./phases/init-candidates.js";
import type { BaselineResult, Comparison, SelectionResult } from "./phases/results-types.js";
import { selectBest, selectionSplit } from "./phases/selection.js";
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
  /** What the user should know about the data (e.g. a validation set smaller than asked for). */
  notes?: string[];
  /** How the winner was chosen (selection split scores). */
  selection?: SelectionResult;
  /** Baselines' validation and test scores. */
  baselines?: BaselineResult[];
  /** The winner against each baseline on the test split. */
  comparisons?: Comparison[];
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
    const r = run.result;
    return {
      runId,
      status: "completed",
      best: evaluations.find((e) => e.index === r.bestIndex) ?? null,
      test: r.test,
      totals: r.totals,
      evaluations,
      ...(r.selection ? { selection: r.selection } : {}),
      ...(r.baselines ? { baselines: r.baselines } : {}),
      ...(r.comparisons ? { comparisons: r.comparisons } : {}),
      ...(r.notes ? { notes: r.notes } : {}),
    };
  }
  const method = getMethod(config.method);
  const lock = ledger.acquireRunLock(runId); // one process per run: a second one stops here
  ledger.setStatus(runId, "running");
  const sessionStart = performance.now();
  const timing: PhaseTiming = { generationMs: 0, evaluationMs: 0, boMs: 0 };
  let budget: RunBudget | undefined;
  const onAbort = () => {
    // the phases after the search (selection, baselines, test) stop at once; the search stops after the
    // evaluations under way (so that their records land)
    if (budget && budget.phase !== "search" && budget.phase !== "init") budget.interrupt();
  };
  deps.signal?.addEventListener("abort", onAbort);
  try {
    const task = await loadRunTask(config, ledger, runId);
    const splits = splitTask(task, { seed: config.seed, validationSize: config.validationSize });
    const notes = splits.notes ?? [];
    if (!ledger.getExamples(runId, "validation")) {
      ledger.setExamples(runId, "validation", splits.validation);
      ledger.setExamples(runId, "test", splits.test);
    }
    const prices = resolvePrices(undefined, process.env);
    // requests a dead session left in flight may have been answered: counted as paid (worst case)
    ledger.markLostSpend(runId);
    const spentBefore = Object.values(ledger.spendBySource(runId));
    budget = new RunBudget(
      { maxCalls: config.maxCalls, maxCost: config.maxCost },
      {
        calls: spentBefore.reduce((a, x) => a + x.calls, 0),
        costUsd: spentBefore.reduce((a, x) => a + x.costUsd, 0),
      },
      {
        open: (entry) => ledger.openSpend(runId, entry),
        close: (id, paid) => ledger.closeSpend(runId, id, paid),
      },
    );
    const budgeted = new BudgetedBlackBox(deps.blackBox, budget, { source: "target", prices });
    const judgeBox = deps.judge
      ? new BudgetedBlackBox(deps.judge.blackBox, budget, { source: "judge", prices })
      : undefined;
    const metric = deps.judge
      ? createJudgeScorer(deps.judge.metric, judgeBox!)
      : (deps.metric ?? builtinScorer(task.metric));
    const runTest = !(deps.skipTest ?? !config.test);
    const baselines = baselineList(task, config.baselines);
    const demos = sampleDemos(splits.promptGen, config.demos, config.seed);
    const fresh =
      config.selection === "fresh"
        ? selectionSplit(task, splits, {
            seed: config.seed,
            size: config.selectionSize,
            demoInputs: method.usesGenerator ? demos.map((d) => d.input) : null,
          })
        : { examples: [] };
    // keep what the phases after the search may cost, so a limit stops the search, not the result
    const after = [
      ...config.initInstructions.flatMap(() => splits.validation),
      ...(fresh.examples.length
        ? Array.from({ length: config.selectionTopK }, () => fresh.examples).flat()
        : []),
      ...baselines.flatMap(() => [...splits.validation, ...(runTest ? splits.test : [])]),
      ...(runTest ? splits.test : []),
    ];
    const worst = worstCaseOf(after, config, budgeted, judgeBox);
    budget.keep(worst.calls, worst.costUsd);
    const ctx: MethodContext = {
      runId,
      config,
      ledger,
      blackBox: budgeted,
      proposer: deps.proposer
        ? new BudgetedBlackBox(deps.proposer, budget, { source: "proposer", prices })
        : undefined,
      splits,
      metric,
      demos,
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
    let evaluations = ledger.evaluations(runId);
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
    // the phases after the search spend what was kept for them (also after a search stopped by a
    // limit: the run still gets its result), and stop at once on Ctrl-C (see onAbort)
    budget.release();
    const searchStop = stopReason;
    stopReason = undefined;
    /** Run a phase; false when a limit stopped it (the run then ends with what it has). */
    const phase = async (name: string, work: () => Promise<void>): Promise<boolean> => {
      if (stopReason) return false;
      budget!.phase = name;
      try {
        await work();
        return true;
      } catch (err) {
        if (err instanceof RunInterrupted) throw err;
        if (!(err instanceof BudgetExhausted)) throw err;
        stopReason = `${err.reason}; stopped in the ${name} phase`;
        return false;
      }
    };
    let selection: SelectionResult | null = null;
    let baselineResults: BaselineResult[] = [];
    let test: TestResult | null = null;
    try {
      if (config.initInstructions.length > 0) {
        await phase("init", async () => {
          evaluations = await scoreInitCandidates(ctx, evaluations, config.initInstructions);
        });
        if (deps.signal?.aborted) return interrupted();
      }
      if (evaluations.every((e) => e.empty)) {
        const reason = searchStop ?? stopReason ?? "no evaluation was made";
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
      deps.onProgress?.({
        phase: "select",
        evaluations: evaluations.length,
        budget: config.budget,
        bestScore: evaluations[bestIndex(evaluations)].score,
      });
      await phase("selection", async () => {
        selection = await selectBest(ctx, evaluations, fresh);
      });
      const chosen: SelectionResult = selection ?? (await selectBest(ctx, evaluations, { examples: [] }));
      selection = chosen;
      if (deps.signal?.aborted) return interrupted();
      await phase("baselines", async () => {
        baselineResults = await scoreBaselines(ctx, baselines, splits, runTest);
      });
      if (deps.signal?.aborted) return interrupted();
      const winner = evaluations.find((e) => e.index === chosen.winner)!;
      if (runTest) {
        deps.onProgress?.({
          phase: "test",
          evaluations: evaluations.length,
          budget: config.budget,
          bestScore: winner.score,
        });
        await phase("test", async () => {
          const ev = await evaluateInstruction(budgeted, winner.instruction, splits.test, {
            metric,
            template: "test",
            split: "test",
            maxTokens: ctx.maxTokens,
          });
          const feedback = ev.examples.some((e) => e.feedback !== undefined)
            ? ev.examples.map((e) => e.feedback ?? null)
            : undefined;
          const ci = testInterval(ev.scores, config.seed, "winner");
          test = {
            score: ev.score,
            scores: ev.scores,
            low: ci.low,
            high: ci.high,
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
        });
        if (deps.signal?.aborted) return interrupted();
      }
    } catch (err) {
      if (err instanceof RunInterrupted) return interrupted();
      throw err;
    }
    stopReason = searchStop ?? stopReason;
    const chosen = selection as SelectionResult | null;
    const b = chosen ? chosen.winner : bestIndex(evaluations);
    const t = test as TestResult | null;
    const comparisons = t ? compareWithBaselines(t.scores, baselineResults, config.seed) : [];
    const totals = totalsOf(evaluations, t, ledger, runId, timing, sessionStart);
    const extra = {
      ...(chosen ? { selection: chosen } : {}),
      baselines: baselineResults,
      comparisons,
      ...(notes.length || chosen?.note ? { notes: [...notes, ...(chosen?.note ? [chosen.note] : [])] } : {}),
    };
    ledger.finishRun(runId, { bestIndex: b, test: t, totals, ...extra });
    if (stopReason) ledger.setStatus(runId, "stopped", stopReason);
    return {
      ...outcome(runId, stopReason ? "stopped" : "completed", evaluations, t, totals, b),
      reason: stopReason,
      ...extra,
    };
  } catch (err) {
    ledger.setStatus(runId, "failed", err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    lock.release();
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
  chosen?: number,
): RunOutcome {
  const b = chosen ?? bestIndex(evaluations);
  const best = evaluations.find((e) => e.index === b) ?? null;
  return { runId, status, best, test, totals, evaluations };
}

/** The winner against each baseline with a test score, on the same test examples. */
function compareWithBaselines(
  winner: number[],
  baselines: readonly BaselineResult[],
  seed: number,
): Comparison[] {
  const out: Comparison[] = [];
  for (const b of baselines) {
    if (!b.test || b.test.scores.length !== winner.length) continue;
    const c = compareScores(winner, b.test.scores, { seed: seedFor(seed, `compare:${b.name}`) });
    out.push({
      baseline: b.name,
      diff: c.diff,
      low: c.low,
      high: c.high,
      pValue: c.pValue,
      test: c.test,
      verdict: c.verdict,
      text: describeComparison(c, b.name),
    });
  }
  return out;
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
  for (const e of [...evaluations, ...(test ? [test.usage ?? ZERO_USAGE] : [])]) t.cacheHits += e.cacheHits;
  for (const e of [...evaluations, ...(test ? [test] : [])])
    if (e.judge) judge.cacheHits += e.judge.cacheHits;
  // calls, tokens and dollars: the spend log, i.e. every answered request of every session (also those
  // of evaluations cut short by a limit or a crash, which no record holds)
  const spend = ledger.spendBySource(runId);
  let lost = 0;
  for (const source of ["target", "proposer", "judge"]) lost += spend[source]?.lost ?? 0;
  if (lost > 0) t.lostCalls = lost;
  for (const source of ["target", "proposer"]) {
    const x = spend[source];
    if (!x) continue;
    t.calls += x.calls;
    t.inputTokens += x.inputTokens;
    t.outputTokens += x.outputTokens;
    t.costUsd += x.costUsd;
  }
  if (spend.judge) {
    judge.calls = spend.judge.calls;
    judge.inputTokens = spend.judge.inputTokens;
    judge.outputTokens = spend.judge.outputTokens;
    judge.costUsd = spend.judge.costUsd;
  }
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

/**
 * What the phases after the search may cost at most: one black-box query per example (and one judge
 * call) with an instruction of up to 4 KB (the longest a generator or proposer writes is far shorter).
 */
function worstCaseOf(
  examples: readonly Example[],
  config: { maxTokens: number; rubric?: string },
  blackBox: BudgetedBlackBox,
  judge: BudgetedBlackBox | undefined,
): { calls: number; costUsd: number } {
  const instruction = "x".repeat(4096);
  let costUsd = 0;
  for (const ex of examples) {
    costUsd += blackBox.worstCase({
      prompt: renderQuery(instruction, ex.input, "test"),
      maxTokens: config.maxTokens,
    });
    if (judge) {
      // the judge sees the rubric, the example and an answer of at most maxTokens tokens (<= 16 bytes each)
      const answer = "x".repeat(16 * config.maxTokens);
      const prompt = renderJudgePrompt(config.rubric ?? "", metricExample(ex), answer);
      costUsd += judge.worstCase({ prompt, maxTokens: JUDGE_MAX_TOKENS });
    }
  }
  return { calls: examples.length * (judge ? 2 : 1), costUsd };
}
