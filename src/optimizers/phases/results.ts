/**
 * The results phase: the winner compared with each baseline on the same test examples, the run's result
 * recorded in the ledger, and its outcome.
 */
import { compareScores, describeComparison } from "../../stats/compare.js";
import { shipVerdict } from "../../stats/verdict.js";
import type { Ledger } from "../../store/ledger.js";
import type { EvaluationRecord, RunTotals, TestResult } from "../../store/types.js";
import { seedFor } from "../../util/rng.js";
import { outcomeOf, type RunOutcome } from "../outcome.js";
import type {
  BaselineResult,
  Comparison,
  OldCandidateResult,
  RunVerdict,
  SelectionResult,
} from "./results-types.js";
import { lookAlpha, type TestPlan, VERDICT_ALPHA } from "./test-plan.js";

/**
 * The winner against each baseline with a test score, on the same test examples. With the adaptive
 * verdict's `plan` (./test-plan.ts) each comparison is the one its last look decided on: the interval
 * at that look's level (a 95% repeated confidence interval of the sequential design, reported as 95%)
 * and its p-value scaled to the whole verdict's level (Bonferroni: p x 0.05 / alpha_k, so p < 0.05
 * exactly when the look decided it).
 */
export function compareWithBaselines(
  winner: number[],
  baselines: readonly BaselineResult[],
  seed: number,
  plan?: TestPlan,
): Comparison[] {
  const out: Comparison[] = [];
  for (const b of baselines) {
    // paired on the baseline's test examples: all of the winner's (full), or its first n_b (adaptive)
    if (!b.test || b.test.scores.length === 0 || b.test.scores.length > winner.length) continue;
    const w = winner.slice(0, b.test.scores.length);
    const alpha = plan ? lookAlpha(plan, b.test.scores.length) : VERDICT_ALPHA;
    const c = compareScores(w, b.test.scores, { seed: seedFor(seed, `compare:${b.name}`), alpha });
    out.push({
      baseline: b.name,
      diff: c.diff,
      low: c.low,
      high: c.high,
      pValue: Math.min(1, (c.pValue * VERDICT_ALPHA) / alpha),
      test: c.test,
      verdict: c.verdict,
      text: describeComparison({ ...c, level: 1 - VERDICT_ALPHA }, b.name),
    });
  }
  return out;
}

/**
 * The run's verdict from its comparisons (ship / don't ship / inconclusive, stats/verdict.ts), on the
 * `n` paired test examples; null without a test score.
 */
export function verdictOf(
  comparisons: readonly Comparison[],
  test: TestResult | null,
  baselines: readonly BaselineResult[] = [],
): RunVerdict | null {
  if (!test) return null;
  // each comparison is on its baseline's test examples (the winner's all, or fewer: adaptive)
  const nOf = (name: string) =>
    baselines.find((b) => b.name === name)?.test?.scores.length ?? test.scores.length;
  return shipVerdict(
    comparisons.map((c) => ({
      baseline: c.baseline,
      diff: c.diff,
      low: c.low,
      high: c.high,
      n: nOf(c.baseline),
    })),
  );
}

/** What the phases after the search produced. */
export interface RunResults {
  evaluations: EvaluationRecord[];
  /** The winner's index (the selection's, else the best validation score). */
  winner: number;
  selection: SelectionResult | null;
  baselines: BaselineResult[];
  test: TestResult | null;
  totals: RunTotals;
  /** The data's notes (the selection's note is added). */
  notes: string[];
  /** Why a limit stopped the run (it then ends "stopped", with its result). */
  stopReason: string | undefined;
  /** The adaptive verdict's sequential plan (its comparisons' levels); absent: one look at 0.05. */
  testPlan?: TestPlan;
  /** A migration: the old run's top candidates on the new model. */
  oldCandidates?: OldCandidateResult[];
}

/** Record the run's result (and "stopped" when a limit stopped it); returns its outcome. */
export function recordResult(ledger: Ledger, runId: string, seed: number, r: RunResults): RunOutcome {
  const chosen = r.selection;
  const comparisons = r.test ? compareWithBaselines(r.test.scores, r.baselines, seed, r.testPlan) : [];
  const verdict = verdictOf(comparisons, r.test, r.baselines);
  const extra = {
    ...(chosen ? { selection: chosen } : {}),
    baselines: r.baselines,
    comparisons,
    ...(verdict ? { verdict } : {}),
    ...(r.oldCandidates ? { oldCandidates: r.oldCandidates } : {}),
    ...(r.notes.length || chosen?.note
      ? { notes: [...r.notes, ...(chosen?.note ? [chosen.note] : [])] }
      : {}),
  };
  ledger.finishRun(runId, { bestIndex: r.winner, test: r.test, totals: r.totals, ...extra });
  if (r.stopReason) ledger.setStatus(runId, "stopped", r.stopReason);
  return {
    ...outcomeOf(runId, r.stopReason ? "stopped" : "completed", r.evaluations, r.test, r.totals, r.winner),
    reason: r.stopReason,
    ...extra,
  };
}
