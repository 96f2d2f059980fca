/** A candidate's score on a run's selection split, with the number of selection examples it is over. */
import type { SelectionResult } from "./results-types.js";

/** Selection score of one candidate and the selection examples it is the mean over. */
export interface SelectionScore {
  /** Mean over its selection scores (null: not among the selection's candidates). */
  selection: number | null;
  /**
   * Selection examples `selection` is the mean over (null with it): under the adaptive post-search the
   * selection race stops a clearly worse candidate after its first looks, so candidates may differ.
   */
  selectionN: number | null;
}

/**
 * The selection score of evaluation `index` in `selection` and the number of its selection scores: the
 * one source of `selectionN` (the migration table, the run export's `oldCandidates`, the report).
 */
export function selectionScoreOf(
  selection: SelectionResult | null | undefined,
  index: number | null | undefined,
): SelectionScore {
  const c =
    index === null || index === undefined ? undefined : selection?.candidates.find((x) => x.index === index);
  if (!c) return { selection: null, selectionN: null };
  return { selection: c.score, selectionN: c.scores.length > 0 ? c.scores.length : null };
}
