/**
 * The scalarised search objective `score - L * usd_per_1k` (option `objective`): BO observes a
 * candidate's validation score minus L times its dollars per 1,000 queries, so that it prefers cheaper
 * instructions; the recorded score stays the metric's. Only that form is accepted, with L a
 * non-negative number (e.g. "score - 0.05 * usd_per_1k"); anything else is an error saying so.
 */

/** A parsed objective: the weight L of dollars per 1,000 queries. */
export interface Objective {
  costWeight: number;
}

const FORM = /^\s*score\s*-\s*([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*\*\s*usd_per_1k\s*$/i;

/** Parse `score - L * usd_per_1k`; throws a RangeError naming the value and the accepted form. */
export function parseObjective(text: string): Objective {
  const m = FORM.exec(text);
  const costWeight = m ? Number(m[1]) : Number.NaN;
  if (!m || !Number.isFinite(costWeight))
    throw new RangeError(
      `objective ${JSON.stringify(text)} is not of the form "score - L * usd_per_1k" with L a non-negative number (e.g. "score - 0.05 * usd_per_1k")`,
    );
  return { costWeight };
}

/** The objective's value of a candidate: its score minus L x its dollars per 1,000 queries (0 when unknown). */
export function objectiveValue(objective: Objective, score: number, usdPer1k: number | undefined): number {
  return score - objective.costWeight * (usdPer1k ?? 0);
}
