/**
 * The adaptive verdict (`postSearch: "adaptive"`): how many test examples each baseline and the winner
 * are scored on, planned before any test example is scored (so the verdict's intervals keep their
 * level), from the power plan (stats/power.ts examplesForGain):
 * - each baseline is first scored on a pilot of the first {@link BASELINE_PILOT} validation examples;
 * - baseline b gets n_b = the test examples that detect, with 80% power, the gap between the winner's
 *   selection score w and the baseline's pilot score v_b (at least {@link MIN_GAIN}), clamped to
 *   [{@link MIN_BASELINE_TEST}, cap]. A gap the cap cannot detect (n_b > cap) is not paid for: the
 *   baseline gets the minimum, and the verdict says how many more examples would decide it;
 * - the winner is scored on max({@link MIN_WINNER_TEST}, max n_b) examples (at most the test split);
 * - each comparison pairs the winner and the baseline on the baseline's n_b first test examples.
 * Pure functions: the run and `npm run bench:selection` use the same plan.
 */
import { examplesForGain } from "../../stats/power.js";

/** Validation examples a baseline is scored on under the adaptive verdict (a pilot for the plan). */
export const BASELINE_PILOT = 10;
/** Fewest test examples a baseline is compared on. */
export const MIN_BASELINE_TEST = 10;
/** Fewest test examples the winner is scored on. */
export const MIN_WINNER_TEST = 20;
/** Smallest gap planned for (a smaller observed gap is planned as this one). */
export const MIN_GAIN = 0.05;

/** Test examples for a baseline scoring `baseline` against a winner scoring `winner` (see the module). */
export function baselineTestSize(winner: number, baseline: number, cap: number): number {
  if (cap <= 0) return 0;
  const low = Math.min(winner, baseline);
  const gain = Math.min(Math.max(Math.abs(winner - baseline), MIN_GAIN), 1 - low);
  const planned = gain > 0 ? examplesForGain(gain, low) : Number.POSITIVE_INFINITY;
  const n = planned > cap ? MIN_BASELINE_TEST : Math.max(MIN_BASELINE_TEST, planned);
  return Math.min(cap, n);
}

/** Test examples for the winner, given the baselines' sizes (see the module). */
export function winnerTestSize(baselineSizes: readonly number[], cap: number): number {
  return Math.min(cap, Math.max(MIN_WINNER_TEST, ...baselineSizes));
}
