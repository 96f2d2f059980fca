/** What the phases after the search record: selection, baselines and the winner's comparisons. */
import type { ComparisonTest } from "../stats/compare.js";
import type { ShipVerdict } from "../stats/verdict.js";

/** The run's verdict: ship, don't ship or inconclusive (with how many more test examples would decide). */
export type RunVerdict = ShipVerdict;

/** One candidate re-scored on the selection split. */
export interface SelectionCandidate {
  /** Its evaluation index. */
  index: number;
  instruction: string;
  validationScore: number;
  /** Mean score on the selection split. */
  score: number;
  /** Per selection example. */
  scores: number[];
}

/** The selection step of a run. */
export interface SelectionResult {
  /** The rule actually used ("validation" when the task left too few fresh examples). */
  rule: "fresh" | "validation";
  /** Why the rule differs from the one asked for, if it does. */
  note?: string;
  /** Examples in the selection split (0 with the validation rule). */
  size: number;
  candidates: SelectionCandidate[];
  /** Evaluation index of the winner. */
  winner: number;
  /** `prefer: { cheaper }` chose a cheaper winner: the index the scores alone chose. */
  bestByScore?: number;
}

/** Where a baseline instruction came from. */
/** zero-shot, random-demos: the chosen instruction without / with random demonstrations (`demoSearch`). */
export type BaselineKind = "none" | "human" | "user" | "zero-shot" | "random-demos";

/** A baseline's scores. */
export interface BaselineResult {
  /** "no instruction", "human instruction", "baseline 1" ... */
  name: string;
  kind: BaselineKind;
  /** The instruction ("" for no instruction). */
  instruction: string;
  /** Its demonstrations when they differ from the run's fixed ones (`demoSearch` baselines). */
  demos?: { input: string; output: string }[];
  validation: { score: number; scores: number[] };
  test: { score: number; scores: number[]; low: number; high: number } | null;
  /** Dollars per 1,000 queries and median latency of its paid calls (validation and test). */
  usdPer1k?: number;
  latencyMs?: number;
}

/**
 * A migration (`instructzero migrate`): one of the old run's top candidates on the new model, scored on
 * the new run's validation, selection and test splits.
 */
export interface OldCandidateResult {
  /** "old prompt" (the old run's winner), "old candidate 2" ... (the old selection's order). */
  name: string;
  instruction: string;
  /** Its evaluation index and selection (else validation) score in the old run. */
  oldIndex: number;
  oldScore: number;
  /** Its evaluation index in the new run (null: not scored there, e.g. a limit stopped the run first). */
  index: number | null;
  /** Scores on the new model: validation, the selection split (null: not scored there), test. */
  validation: number | null;
  selection: number | null;
  test: { score: number; scores: number[]; low: number; high: number } | null;
  /** Dollars per 1,000 queries and median latency of its paid calls on the new model. */
  usdPer1k?: number;
  latencyMs?: number;
}

/** The winner against one baseline on the same test examples. */
export interface Comparison {
  baseline: string;
  /** Mean test score difference (winner - baseline) and its 95% interval. */
  diff: number;
  low: number;
  high: number;
  /** Two-sided p-value read off the interval (see stats/compare.ts). */
  pValue: number | null;
  test: ComparisonTest;
  verdict: "better" | "worse" | "indistinguishable";
  /** In words: "better than human instruction by +0.12 (95% CI +0.05 to +0.19)". */
  text: string;
}
