/**
 * The run engine: `executeRun` runs (or continues) a stored run to its end, one session at a time. It
 * holds the run's lock, its status and the session's time; the work is done by the phases
 * (./phases/: search, init candidates, selection, baselines, test, a migration's old candidates, results) on the context `prepareRun`
 * builds. The library's RunSession (src/session/) opens what a run needs and calls it.
 */
import { resolvePrices } from "../blackbox/pricing.js";
import type { BlackBox } from "../blackbox/types.js";
import { type RunConfig, RunOptionsSchema } from "../config/schema.js";
import { createJudgeScorer } from "../metrics/judge.js";
import { builtinScorer } from "../metrics/scorer.js";
import type { JudgeMetric, Scorer } from "../metrics/types.js";
import { type Ledger, LockLostError, type RunLock } from "../store/ledger.js";
import type { TestResult } from "../store/types.js";
import { manyListeners } from "../util/async/signal.js";
import { BudgetedBlackBox, type RunBudget, RunInterrupted } from "./budget.js";
import { demoBaselines } from "./demo-baselines.js";
import { getMethod, type SearchMethod } from "./methods/index.js";
import {
  loadOutcome,
  outcomeOf,
  type RunOutcome,
  type SessionClock,
  saveTiming,
  startClock,
  totalsOf,
} from "./outcome.js";
import { scoreBaselines } from "./phases/baselines.js";
import { scoreInitCandidates } from "./phases/init-candidates.js";
import { oldCandidateRows, scoreOldCandidates } from "./phases/old-candidates.js";
import { PhaseRunner } from "./phases/phase-runner.js";
import { applyPreference } from "./phases/prefer.js";
import { recordResult } from "./phases/results.js";
import type { BaselineResult, OldCandidateResult, SelectionResult } from "./phases/results-types.js";
import { keepForAfterSearch, openRunBudget } from "./phases/run-budget.js";
import { runSearch } from "./phases/search.js";
import { selectBest } from "./phases/selection.js";
import { runTestPlan, scoreSequentialTest } from "./phases/sequential-test.js";
import { scoreTest } from "./phases/test-phase.js";
import { BASELINE_PILOT } from "./phases/test-plan.js";
import { layoutStoredRun, type RunLayout } from "./run-layout.js";
import { loadRunTask } from "./run-task.js";
import { bestIndex, demosOf } from "./score-candidate.js";
import { selectionCount } from "./select.js";
import { selectionRaceMaxCalls } from "./select-race.js";
import type { MethodContext, PointProposer, ProgressEvent, SoftPromptGenerator } from "./types.js";

export type { RunOutcome } from "./outcome.js";
export { makeRunConfig } from "./run-config.js";

/**
 * Defaults of a run's configuration, read from the schema (src/config/schema.ts): the paper's budget and
 * sizes with this package's split, hygiene, clean-up and selection (`preset: "paper"` for the reference's).
 */
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

/**
 * Run (or continue) the optimisation stored as `runId` in the ledger, to its budget, then score the best
 * instruction on the test split and record the result. Calling it again on an interrupted run continues
 * it; on a completed run it returns the stored result.
 */
export async function executeRun(runId: string, deps: RunDeps): Promise<RunOutcome> {
  const { ledger } = deps;
  const run = ledger.getRun(runId);
  if (run.status === "completed" && run.result) return loadOutcome(ledger, runId);
  // one process per run: a second one stops here; the lock is fenced (a takeover bumps its generation)
  const lock = ledger.acquireRunLock(runId);
  ledger.setStatus(runId, "running");
  const clock = startClock();
  let budget: RunBudget | undefined;
  const onAbort = () => {
    // the phases after the search (selection, baselines, test) stop at once; the search stops after the
    // evaluations under way (so that their records land)
    if (budget && budget.phase !== "search" && budget.phase !== "init") budget.interrupt();
  };
  // the run's signal is listened on by every request under way (any concurrency)
  if (deps.signal) manyListeners(deps.signal);
  deps.signal?.addEventListener("abort", onAbort);
  // taken over (this process was paused past the staleness limit): admit nothing more, at once
  lock.onLost(() => budget?.interrupt());
  try {
    const prepared = await prepareRun(runId, run.config, deps, clock, lock);
    budget = prepared.budget;
    if (lock.lost) budget.interrupt();
    const outcome = await runPhases(prepared, deps);
    if (lock.lost && outcome.status !== "completed") throw lock.lost;
    return outcome;
  } catch (err) {
    // stood down: the run is another process's now, nothing more is written for it
    if (lock.lost) throw lock.lost;
    // failed: calls still queued or waiting to retry are dropped at once (the process may exit)
    budget?.interrupt();
    ledger.setStatus(runId, "failed", err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    deps.signal?.removeEventListener("abort", onAbort);
    // requests still under way (a limit or an error ended the run) settle in the spend log while this
    // process holds the run's lock: none stays `pending`
    if (!lock.lost) await budget?.drain();
    endSession(ledger, runId, clock, lock);
  }
}

/** Save the session's time (unless the run was taken over: nothing more is written), then give the lock back. */
function endSession(ledger: Ledger, runId: string, clock: SessionClock, lock: RunLock): void {
  try {
    if (!lock.lost) saveTiming(ledger, runId, clock);
  } catch (err) {
    if (!(err instanceof LockLostError)) throw err;
  } finally {
    lock.release();
  }
}

/** The phase after the search under way, and its queries answered of the most it asks. */
interface PhaseStep {
  phase: "select" | "baselines" | "test" | undefined;
  done: number;
  total: number;
  evaluations: number;
  bestScore: number | null;
}

/** A run's session, ready for its phases. */
interface PreparedRun {
  step: PhaseStep;
  method: SearchMethod;
  ctx: MethodContext;
  layout: RunLayout;
  budget: RunBudget;
  runTest: boolean;
  clock: SessionClock;
}

/**
 * Load the run's task and lay it out (splits stored on first use), open its budget from the spend log,
 * wrap the black boxes with it, keep what the phases after the search may cost, and build the context
 * the method and the phases run in.
 */
async function prepareRun(
  runId: string,
  config: RunConfig,
  deps: RunDeps,
  clock: SessionClock,
  lock: RunLock,
): Promise<PreparedRun> {
  const { ledger } = deps;
  const method = getMethod(config.method);
  const task = await loadRunTask(config, ledger, runId);
  // a resumed run goes on with the examples stored with it, never a re-derived split
  const layout = layoutStoredRun(
    config,
    task,
    ledger,
    runId,
    ledger.evaluations(runId).length >= config.budget,
  );
  const prices = resolvePrices(undefined, process.env);
  const budget = openRunBudget(ledger, runId, config, lock);
  // the phases after the search report their own progress: the target's queries answered of the most
  const step: PhaseStep = { phase: undefined, done: 0, total: 0, evaluations: 0, bestScore: null };
  const budgeted = new BudgetedBlackBox(deps.blackBox, budget, {
    source: "target",
    prices,
    onAnswer: () => {
      if (step.phase === undefined || !deps.onProgress) return;
      step.done++;
      deps.onProgress({
        phase: step.phase,
        evaluations: step.evaluations,
        budget: config.budget,
        bestScore: step.bestScore,
        step: { done: step.done, total: Math.max(step.done, step.total) },
        spent: budget.spent(),
      });
    },
  });
  const judgeBox = deps.judge
    ? new BudgetedBlackBox(deps.judge.blackBox, budget, { source: "judge", prices })
    : undefined;
  const metric = deps.judge
    ? createJudgeScorer(deps.judge.metric, judgeBox!)
    : (deps.metric ?? builtinScorer(task.metric));
  const runTest = !(deps.skipTest ?? !config.test);
  keepForAfterSearch(budget, config, layout, runTest, { blackBox: budgeted, judge: judgeBox });
  const ctx: MethodContext = {
    runId,
    config,
    ledger,
    blackBox: budgeted,
    proposer: deps.proposer
      ? new BudgetedBlackBox(deps.proposer, budget, { source: "proposer", prices })
      : undefined,
    splits: layout.splits,
    metric,
    demos: layout.demos,
    targetDemos: layout.target.demos,
    demoPool: layout.target.pool,
    generator: deps.generator,
    pointProposer: deps.pointProposer,
    maxTokens: config.maxTokens,
    // every progress event counts the run's paid attempts and dollars (all sessions, judge included)
    onProgress: deps.onProgress && ((e) => deps.onProgress?.({ ...e, spent: budget.spent() })),
    signal: deps.signal,
    timing: clock.timing,
  };
  return { method, ctx, layout, budget, runTest, clock, step };
}

/**
 * The search, then the phases after it on what the budget kept (also after a search stopped by a
 * limit: the run still gets its result); Ctrl-C ends the run "interrupted" between phases (the phases
 * after the search stop at once, see executeRun's onAbort).
 */
async function runPhases(p: PreparedRun, deps: RunDeps): Promise<RunOutcome> {
  const { ctx } = p;
  const { ledger, runId } = ctx;
  const searchStop = await runSearch(p.method, ctx);
  // a limit stopped the search with requests of other candidates still under way: settle them first
  if (searchStop !== undefined) await p.budget.drain();
  const state = { evaluations: ledger.evaluations(runId) };
  const interrupted = (): RunOutcome => {
    ledger.setStatus(runId, "interrupted", "interrupted by the user");
    const totals = totalsOf(state.evaluations, null, ledger, runId, p.clock);
    return outcomeOf(runId, "interrupted", state.evaluations, null, totals);
  };
  if (deps.signal?.aborted) return interrupted();
  p.budget.release();
  const phases = new PhaseRunner(p.budget);
  try {
    const after = await afterSearch(p, phases, state, searchStop, () => deps.signal?.aborted === true);
    if (after === "interrupted") return interrupted();
    return after;
  } catch (err) {
    if (err instanceof RunInterrupted) return interrupted();
    throw err;
  }
}

/** Init candidates, selection, baselines and test, then the recorded result ("interrupted": aborted). */
async function afterSearch(
  p: PreparedRun,
  phases: PhaseRunner,
  state: { evaluations: ReturnType<Ledger["evaluations"]> },
  searchStop: string | undefined,
  aborted: () => boolean,
): Promise<RunOutcome | "interrupted"> {
  const { ctx, layout } = p;
  const { config, ledger, runId } = ctx;
  if (config.initInstructions.length > 0) {
    await phases.run("init", async () => {
      state.evaluations = await scoreInitCandidates(ctx, state.evaluations, config.initInstructions);
    });
    if (aborted()) return "interrupted";
  }
  const evaluations = state.evaluations;
  if (evaluations.every((e) => e.empty)) {
    const reason = p.budget.finalReason(searchStop ?? phases.stopReason) ?? "no evaluation was made";
    ledger.setStatus(runId, "stopped", reason);
    const totals = totalsOf(evaluations, null, ledger, runId, p.clock);
    return { ...outcomeOf(runId, "stopped", evaluations, null, totals), reason };
  }
  // each phase after the search shows its own progress (queries answered of the most it asks)
  const progress = (phase: "select" | "baselines" | "test", bestScore: number, total: number) => {
    Object.assign(p.step, { phase, done: 0, total, evaluations: evaluations.length, bestScore });
    ctx.onProgress?.({
      phase,
      evaluations: evaluations.length,
      budget: config.budget,
      bestScore,
      step: { done: 0, total },
    });
  };
  // a phase that asked fewer queries than it might have (adaptive) ends with what it asked
  const endProgress = () => {
    if (p.step.phase === undefined || p.step.done >= p.step.total) return;
    p.step.total = p.step.done;
    ctx.onProgress?.({
      phase: p.step.phase,
      evaluations: evaluations.length,
      budget: config.budget,
      bestScore: p.step.bestScore,
      step: { done: p.step.done, total: p.step.done },
    });
  };
  const { splits } = layout;
  const adaptive = config.postSearch === "adaptive";
  const m = layout.selection.examples.length;
  const k = selectionCount(config);
  const selectionTotal = config.selection !== "fresh" ? 0 : adaptive ? selectionRaceMaxCalls(k, m) : k * m;
  progress("select", evaluations[bestIndex(evaluations)].score, selectionTotal);
  let selection: SelectionResult | null = null;
  await phases.run("selection", async () => {
    selection = await selectBest(ctx, evaluations, layout.selection);
  });
  endProgress();
  const chosen: SelectionResult = applyPreference(
    selection ?? (await selectBest(ctx, evaluations, { examples: [] })),
    evaluations,
    config.prefer,
    config.seed,
  );
  if (aborted()) return "interrupted";
  const winner = evaluations.find((e) => e.index === chosen.winner)!;
  let baselines: BaselineResult[] = [];
  const list = [...layout.baselines, ...demoBaselines(ctx, winner)];
  // adaptive: baselines on a validation pilot, then the sequential test scores them with the winner
  const sequential = adaptive && p.runTest && splits.test.length > 0;
  const perBaseline = adaptive
    ? Math.min(BASELINE_PILOT, splits.validation.length)
    : splits.validation.length + (p.runTest ? splits.test.length : 0);
  progress("baselines", evaluations[bestIndex(evaluations)].score, list.length * perBaseline);
  await phases.run("baselines", async () => {
    baselines = await scoreBaselines(ctx, list, layout.splits, p.runTest);
  });
  endProgress();
  if (aborted()) return "interrupted";
  let test: TestResult | null = null;
  if (p.runTest) {
    progress("test", winner.score, splits.test.length * (sequential ? 1 + list.length : 1));
    await phases.run("test", async () => {
      const demos = demosOf(ctx, winner);
      if (sequential) {
        const out = await scoreSequentialTest(
          ctx,
          { instruction: winner.instruction, demos },
          baselines,
          splits.test,
        );
        test = out.test;
        baselines = out.baselines;
      } else test = await scoreTest(ctx, winner.instruction, layout.splits.test, demos);
    });
    endProgress();
    if (aborted()) return "interrupted";
  }
  // a migration: the old run's top candidates on the winner's test examples
  let oldCandidates: OldCandidateResult[] = [];
  if (config.oldCandidates?.length) {
    const parts = { selection: chosen, baselines, winner, test, testExamples: splits.test };
    // their rows, as far as scored (also when a limit stopped an earlier phase), then their test
    oldCandidates = oldCandidateRows(ctx, evaluations, parts);
    const tested = (test as TestResult | null)?.scores.length ?? 0;
    progress("test", winner.score, oldCandidates.filter((c) => !c.test).length * tested);
    await phases.run("old candidates", () => scoreOldCandidates(ctx, evaluations, parts, oldCandidates));
    if (aborted()) return "interrupted";
  }
  p.step.phase = undefined;
  return recordResult(ledger, runId, config.seed, {
    ...(config.oldCandidates?.length ? { oldCandidates } : {}),
    evaluations,
    winner: chosen.winner,
    selection: chosen,
    baselines,
    test,
    totals: totalsOf(evaluations, test, ledger, runId, p.clock),
    notes: layout.notes,
    stopReason: p.budget.finalReason(searchStop ?? phases.stopReason),
    ...(sequential ? { testPlan: runTestPlan(splits.test) } : {}),
  });
}
