/**
 * A run's outcome: what `executeRun` returns and what a finished (or unfinished) run reads back as. The
 * one place that turns ledger rows into an outcome, and that sums a run's totals from the spend log.
 */
import { zeroUsage } from "../blackbox/usage.js";
import type { JudgeUsage } from "../metrics/types.js";
import type { Ledger } from "../store/ledger.js";
import type { EvaluationRecord, RunResult, RunStatus, RunTotals, TestResult } from "../store/types.js";
import type { BaselineResult, Comparison, RunVerdict, SelectionResult } from "./phases/results-types.js";
import { runState } from "./phases/run-state.js";
import { bestIndex } from "./score-candidate.js";
import type { PhaseTiming } from "./types.js";

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
  /** Ship, don't ship or inconclusive (absent without a test score). */
  verdict?: RunVerdict;
}

/** The time of the session under way (added to the stored time of earlier sessions). */
export interface SessionClock {
  timing: PhaseTiming;
  /** performance.now() when the session started. */
  start: number;
}

/** A clock starting now. */
export function startClock(): SessionClock {
  return { timing: { generationMs: 0, evaluationMs: 0, boMs: 0 }, start: performance.now() };
}

/** The base of an outcome: the chosen evaluation (`chosen`, else the best validation score). */
export function outcomeOf(
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

/** The outcome recorded by a run's result. */
export function outcomeOfResult(
  runId: string,
  status: RunStatus,
  evaluations: EvaluationRecord[],
  r: RunResult,
): RunOutcome {
  return {
    runId,
    status,
    best: evaluations.find((e) => e.index === r.bestIndex) ?? null,
    test: r.test,
    totals: r.totals,
    evaluations,
    ...(r.selection ? { selection: r.selection } : {}),
    ...(r.baselines ? { baselines: r.baselines } : {}),
    ...(r.comparisons ? { comparisons: r.comparisons } : {}),
    ...(r.verdict ? { verdict: r.verdict } : {}),
    ...(r.notes ? { notes: r.notes } : {}),
  };
}

/**
 * The outcome of a stored run, finished or not: a completed run's recorded result (also a run a limit
 * stopped after its search); else its status, its evaluations so far (best by validation score) and its
 * totals so far.
 */
export function loadOutcome(ledger: Ledger, runId: string): RunOutcome {
  const run = ledger.getRun(runId);
  const evaluations = ledger.evaluations(run.id);
  const reason = run.status === "stopped" && run.statusMessage ? { reason: run.statusMessage } : {};
  // a run stopped by a limit after its search also has a result
  if (run.result && (run.status === "completed" || run.status === "stopped"))
    return { ...outcomeOfResult(run.id, run.status, evaluations, run.result), ...reason };
  const totals = totalsOf(evaluations, null, ledger, run.id);
  return { ...outcomeOf(run.id, run.status, evaluations, null, totals), ...reason };
}

/**
 * Totals of a run: `calls`, tokens and `costUsd` are the black box's (validation, proposals, test);
 * `judge*` fields the LLM judge's; `totalCostUsd` both. Times: the stored sessions' plus `clock`'s.
 */
export function totalsOf(
  evaluations: readonly EvaluationRecord[],
  test: TestResult | null,
  ledger: Ledger,
  runId: string,
  clock?: SessionClock,
): RunTotals {
  const prev = runState(ledger, runId).timing.get();
  const now = clock?.timing ?? { generationMs: 0, evaluationMs: 0, boMs: 0 };
  const t: RunTotals = {
    evaluations: evaluations.length,
    ...zeroUsage(),
    reused: evaluations.filter((e) => e.reused).length,
    distinctInstructions: new Set(evaluations.map((e) => e.instruction)).size,
    wallMs: (prev?.wallMs ?? 0) + (clock ? performance.now() - clock.start : 0),
    generationMs: (prev?.generationMs ?? 0) + now.generationMs,
    evaluationMs: (prev?.evaluationMs ?? 0) + now.evaluationMs,
    boMs: (prev?.boMs ?? 0) + now.boMs,
  };
  const judge: JudgeUsage = zeroUsage();
  for (const e of [...evaluations, ...(test ? [test.usage ?? zeroUsage()] : [])]) t.cacheHits += e.cacheHits;
  for (const e of [...evaluations, ...(test ? [test] : [])])
    if (e.judge) judge.cacheHits += e.judge.cacheHits;
  // calls, tokens and dollars: the spend log, i.e. every answered request of every session (also those
  // of evaluations cut short by a limit or a crash, which no record holds)
  const spend = ledger.spendBySource(runId);
  let lost = 0;
  for (const source of ["target", "proposer", "judge"]) lost += spend[source]?.lost ?? 0;
  if (lost > 0) t.lostCalls = lost;
  // attempts given up at the timeout (or on a lost connection) the provider may have billed
  let abandoned = 0;
  for (const source of ["target", "proposer", "judge"]) abandoned += spend[source]?.abandoned ?? 0;
  if (abandoned > 0) t.abandonedCalls = abandoned;
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

/** Add the session's time to the run's stored time (at the end of every session). */
export function saveTiming(ledger: Ledger, runId: string, clock: SessionClock): void {
  const state = runState(ledger, runId).timing;
  const prev = state.get() ?? { generationMs: 0, evaluationMs: 0, boMs: 0, wallMs: 0 };
  state.put({
    generationMs: prev.generationMs + clock.timing.generationMs,
    evaluationMs: prev.evaluationMs + clock.timing.evaluationMs,
    boMs: prev.boMs + clock.timing.boMs,
    wallMs: prev.wallMs + (performance.now() - clock.start),
  });
}
