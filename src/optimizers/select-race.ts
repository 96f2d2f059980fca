/**
 * Adaptive selection (`postSearch: "adaptive"`): a race among the top k on the selection split instead
 * of scoring all k on all of it. Pure: the run (phases/selection.ts) and `npm run bench:selection`
 * take the same steps.
 *
 * The race, on a selection split of m examples (k = 5, m = 50: in brackets):
 * - every candidate is scored on the first `first` examples (m / 5, at least 5) [10], then the ones
 *   still in the race on `block` more at a time (m / 10, at least 1) [5], at most on `max` examples
 *   (19/20 of m) [48];
 * - after each round the candidates are ranked by their **pooled** score: selection and validation
 *   examples together ((selection sum + validation sum) / (n + validation examples)). The validation
 *   scores are already paid for; they are biased upward (the top k were chosen on them), but about
 *   equally for each of the top k, so they help ranking (not the reported score, below);
 * - a candidate is dropped when the one-sided exact sign test (../racing.ts pairedTestWorse: the
 *   sign-flip permutation test for graded scores) on the selection examples so far says it is worse
 *   than the leader at level {@link SELECTION_RACE_ALPHA} (0.15); and at most ceil(k / 2) [3] stay
 *   after the first round, at most 2 from m / 2 examples on [25];
 * - the race ends when one candidate is left or the survivors have `max` examples; the winner is the
 *   best of the survivors by its selection score alone (ties: validation score, then the earlier
 *   candidate: {@link rankFresh}), and its reported selection score is its mean on the selection
 *   examples it was scored on: a fresh estimate.
 * Worst case (k = 5, m = 50) 5 x 10 + 3 x 15 + 2 x 23 = 141 calls instead of 250. The level and the
 * caps set the trade between calls and the chosen instruction's accuracy, not a guarantee: in `npm run
 * bench:selection` (simulated, accuracies ~ Beta(2,3) and Beta(8,3)) the race costs 119 and 131 calls
 * on average and the chosen instruction is 0.002-0.003 less accurate than scoring all five on all 50
 * examples (README, Benchmarks).
 */
import { pairedTestWorse } from "./racing.js";
import { compareScore, rankFresh, type SelectionCandidate } from "./select.js";

/** Level of the sign test that drops a candidate from the selection race. */
export const SELECTION_RACE_ALPHA = 0.15;

/** The shape of a selection race on `m` examples for `k` candidates (see the module). */
export interface SelectionRacePlan {
  /** Examples every candidate is scored on first. */
  first: number;
  /** Examples per later round. */
  block: number;
  /** Examples the survivors are scored on at most. */
  max: number;
  /** From `from` examples on, at most `alive` candidates stay (ascending `from`). */
  caps: { from: number; alive: number }[];
}

/** The plan of a race among `k` candidates on `m` selection examples (see the module). */
export function selectionRacePlan(k: number, m: number): SelectionRacePlan {
  const first = Math.min(m, Math.max(5, Math.ceil(m / 5)));
  return {
    first,
    block: Math.max(1, Math.ceil(m / 10)),
    max: Math.max(first, Math.ceil((19 * m) / 20)),
    caps: [
      { from: first, alive: Math.max(2, Math.ceil(k / 2)) },
      { from: Math.ceil(m / 2), alive: 2 },
    ],
  };
}

/** A candidate in the race: its selection scores so far (a prefix of the split). */
export interface RaceCandidate extends SelectionCandidate {
  selectionScores: readonly number[];
  /** Validation examples behind `validationScore` (for the pooled rank; 0: selection only). */
  validationCount: number;
}

/** Where the race goes next: score `alive` up to `upTo` examples; or it is over (`upTo` null). */
export interface RaceStep<T extends RaceCandidate> {
  /** The candidates still in the race, best first (pooled rank; when over: by selection score). */
  alive: T[];
  upTo: number | null;
}

/**
 * The race's next step from `alive` (every one scored on the same first `n` examples; n = 0 before
 * the first round): the first round, or the drops and caps after a round and the next round, or the
 * end. Throws when the candidates are not scored on the same number of examples.
 */
export function selectionRaceStep<T extends RaceCandidate>(
  alive: readonly T[],
  plan: SelectionRacePlan,
): RaceStep<T> {
  if (alive.length === 0) return { alive: [], upTo: null };
  const n = alive[0].selectionScores.length;
  for (const c of alive)
    if (c.selectionScores.length !== n)
      throw new RangeError(
        `selectionRaceStep: candidate #${c.index} has ${c.selectionScores.length} selection scores, #${alive[0].index} ${n}`,
      );
  if (n === 0) return { alive: [...alive], upTo: plan.first };
  let left = pooledRank(alive);
  if (n < plan.max && left.length > 1) {
    const leader = left[0];
    left = left.filter(
      (c) =>
        c === leader ||
        pairedTestWorse(c.selectionScores, leader.selectionScores).pValue >= SELECTION_RACE_ALPHA,
    );
    for (const cap of plan.caps) if (n >= cap.from) left = left.slice(0, cap.alive);
  }
  if (left.length <= 1 || n >= plan.max) return { alive: rankFresh(left), upTo: null };
  return { alive: left, upTo: Math.min(plan.max, n + plan.block) };
}

/**
 * The most candidates scored on each stretch of the split in any race of `plan` among `k`: rounds
 * { alive, upTo } as if nobody were dropped but by the caps (the worst case: budgets and `--dry-run`).
 */
export function selectionRaceWorstCase(
  k: number,
  plan: SelectionRacePlan,
): { alive: number; upTo: number }[] {
  if (k <= 0 || plan.first <= 0) return [];
  const rounds = [{ alive: k, upTo: plan.first }];
  let alive = k;
  let n = plan.first;
  while (alive > 1 && n < plan.max) {
    for (const cap of plan.caps) if (n >= cap.from) alive = Math.min(alive, cap.alive);
    n = Math.min(plan.max, n + plan.block);
    rounds.push({ alive, upTo: n });
  }
  return rounds;
}

/** The most calls a race among `k` on `m` selection examples can make (its worst case). */
export function selectionRaceMaxCalls(k: number, m: number): number {
  let calls = 0;
  let n = 0;
  for (const r of selectionRaceWorstCase(k, selectionRacePlan(k, m))) {
    calls += r.alive * (r.upTo - n);
    n = r.upTo;
  }
  return calls;
}

/** Best first by pooled score (selection and validation examples together); ties as rankFresh. */
function pooledRank<T extends RaceCandidate>(cs: readonly T[]): T[] {
  const pooled = (c: T) => {
    let s = c.validationScore * c.validationCount;
    for (const x of c.selectionScores) s += x;
    const n = c.selectionScores.length + c.validationCount;
    return n > 0 ? s / n : 0;
  };
  return [...cs].sort(
    (a, b) =>
      -compareScore(pooled(a), pooled(b)) ||
      -compareScore(a.validationScore, b.validationScore) ||
      a.index - b.index,
  );
}
