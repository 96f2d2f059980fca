/**
 * The cost-aware choice (`prefer: { cheaper: TOL }`, CLI `--prefer cheaper:TOL`), applied to the
 * selection's result: among the candidates whose selection score (validation score under the
 * validation rule) is within TOL of the best, or not distinguishable from the best by the verdict's
 * paired test (src/stats compareScores on the same examples), the one with the lowest dollars per
 * 1,000 queries wins. Candidates whose cost is unknown are not preferred over the best. Without the
 * option the selection's winner stands. Pure: same records, same choice.
 */
import { compareScores } from "../../stats/compare.js";
import type { EvaluationRecord } from "../../store/types.js";
import { seedFor } from "../../util/rng.js";
import type { SelectionResult } from "./results-types.js";

/** One candidate as the rule sees it. */
export interface PreferCandidate {
  index: number;
  /** Its selection score and per-example scores (the same examples for every candidate). */
  score: number;
  scores: readonly number[];
  /** Dollars per 1,000 queries (undefined: unknown). */
  usdPer1k?: number;
}

/**
 * Index of the candidate the rule picks among `candidates` whose best is `best` (an index among
 * them): cheapest among the eligible ones, ties to the higher score, then to the earlier position.
 */
export function cheaperChoice(
  candidates: readonly PreferCandidate[],
  best: number,
  tolerance: number,
  seed: number,
): number {
  const top = candidates.find((c) => c.index === best);
  if (!top || top.usdPer1k === undefined) return best;
  let chosen = top;
  for (const c of candidates) {
    if (c.index === best || c.usdPer1k === undefined) continue;
    const within = top.score - c.score <= tolerance + 1e-12;
    const eligible =
      within ||
      (c.scores.length === top.scores.length &&
        c.scores.length > 0 &&
        compareScores(c.scores, top.scores, { seed: seedFor(seed, `prefer:${c.index}`) }).verdict ===
          "indistinguishable");
    if (!eligible) continue;
    const cost = c.usdPer1k;
    const cur = chosen.usdPer1k as number;
    if (cost < cur || (cost === cur && c.score > chosen.score)) chosen = c;
  }
  return chosen.index;
}

/**
 * The selection with the cost-aware rule applied (unchanged without `prefer`): fresh selection ranks
 * its re-scored candidates, the validation rule the fully scored records. The result says which
 * candidate the scores alone chose (`bestByScore`) when the rule changed the winner.
 */
export function applyPreference(
  selection: SelectionResult,
  records: readonly EvaluationRecord[],
  prefer: { cheaper: number } | undefined,
  seed: number,
): SelectionResult {
  if (!prefer) return selection;
  const byIndex = new Map(records.map((r) => [r.index, r]));
  const candidates: PreferCandidate[] =
    selection.rule === "fresh" && selection.candidates.length > 0
      ? selection.candidates.map((c) => ({
          index: c.index,
          score: c.score,
          scores: c.scores,
          usdPer1k: byIndex.get(c.index)?.usdPer1k,
        }))
      : records
          .filter((r) => !r.empty && r.scored === undefined && !r.reused)
          .map((r) => ({ index: r.index, score: r.score, scores: r.scores, usdPer1k: r.usdPer1k }));
  const winner = cheaperChoice(candidates, selection.winner, prefer.cheaper, seed);
  if (winner === selection.winner) return selection;
  return { ...selection, winner, bestByScore: selection.winner };
}
