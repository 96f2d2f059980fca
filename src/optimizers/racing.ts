/**
 * Racing: score a candidate instruction block by block and stop as soon as it is clearly no better
 * than the incumbent, so that poor candidates cost a fraction of the validation set (`--racing`).
 *
 * - **Blocks in a fixed order.** The validation examples are scored in their stored order, `block` at a
 *   time (default 5); a raced record holds the scores of a prefix of the validation set (`scored`).
 * - **The incumbent** of candidate j is the best *fully scored* candidate among those before it in the
 *   run (index < j; highest mean, earliest on ties). It depends only on earlier records, never on timing,
 *   so a run (and a resumed run) makes the same decisions whatever the black box's latency.
 * - **Bound.** After each block, the candidate stops when even a perfect score on every remaining example
 *   would leave its mean below the incumbent's: (sum so far + remaining) / N < incumbent mean (scores in
 *   [0, 1]). This drop is never wrong about the validation score: the candidate could not have become
 *   the best.
 * - **Paired test.** Otherwise it stops when a one-sided paired test on the examples scored so far,
 *   paired with the incumbent's scores on the same examples, says it is worse at level `alpha` (default
 *   0.01), by {@link pairedTestWorse}:
 *   - both score lists 0/1 (em, contains ...): the **exact sign test** (the one-sided exact McNemar
 *     test on the discordant pairs): with w examples where it scores below the incumbent and b where
 *     above, p = P(X >= w), X ~ Binomial(w + b, 1/2);
 *   - graded scores (f1, judges, user metrics: any score not 0 or 1): the **paired sign-flip
 *     permutation test on the mean difference** (Fisher's randomisation test): under "no difference"
 *     each paired difference d_i = candidate - incumbent is as likely to have either sign, so p is the
 *     share of the 2^m sign patterns of the m non-zero |d_i| whose sum is at most the observed sum.
 *     Exact (every pattern) for m <= 16, else 10,000 patterns drawn by a fixed-seed {@link Rng}
 *     (p = (1 + hits) / (1 + 10,000), a valid p-value); deterministic either way. It tests the mean,
 *     not the count of wins, so a candidate whose mean beats the incumbent's is never dropped
 *     (p >= 1/2); the sign test, which counts wins, dropped 0.94 against 0.90 after 15 examples. On
 *     0/1 scores the two tests are the same test (the differences are +-1).
 *   Why exact and one-sided: with 5-20 examples asymptotic approximations are unreliable, and only
 *   "worse" stops a candidate. Why 0.01: a false drop loses a candidate as good as the best (and tells
 *   the GP it is worse than it is), while a late drop costs at most N - n calls; with ceil(N / block) - 1
 *   looks per candidate (3 at the defaults) a candidate exactly as good as the incumbent is dropped with
 *   probability at most 3 x 0.01 (union bound), a better one far less often. The smallest p-value the
 *   sign test can reach on k discordant examples is 2^-k, so at 0.01 it needs at least 7 discordant
 *   examples, all against.
 * - **What is guarded: the selection's top k.** Under the validation rule the winner is the best
 *   validation score, so the incumbent is the best fully scored candidate (rank 1). Under fresh
 *   selection the top k distinct candidates by validation score (`selectionTopK`) are re-scored on the
 *   selection split, and any of them can win there; a race that only guards the best would drop
 *   candidates that belong to the top k and change the winner. So the incumbent is the k-th best fully
 *   scored distinct instruction ({@link racingRank}, {@link incumbentOf}): the bound then never drops a
 *   candidate that could enter the final top k (the k-th best score only rises as the run goes on),
 *   and the test compares with the candidate it would have to displace. Until k distinct candidates
 *   are fully scored nothing is dropped. The measured rates at which racing changes the chosen
 *   instruction are in test/racing/simulation.test.ts (and README, Racing).
 * - The last block always completes the candidate (no decision is needed), and the first block is
 *   always scored (the bound cannot stop a candidate before it has scored anything).
 */

import { Rng } from "../util/rng.js";
import type { SelectionRule } from "./select.js";
import { compareScore } from "./select.js";

/** The best fully scored candidate so far: what a raced candidate has to beat. */
export interface Incumbent {
  index: number;
  /** Mean over the whole validation set. */
  score: number;
  /** Per-example scores on the whole validation set (validation order). */
  scores: readonly number[];
}

/** Why a race stopped a candidate early. */
export interface RaceStop {
  reason: "bound" | "test";
  /** One-sided p-value of {@link pairedTestWorse} (reason "test"). */
  pValue?: number;
}

/** Default racing settings (the schema's defaults). */
export const RACING_DEFAULTS = { block: 5, alpha: 0.01 } as const;

/** One-sided exact sign test that `a` is worse than `b` (paired, same examples; ties dropped). */
export function signTestWorse(
  a: readonly number[],
  b: readonly number[],
): { worse: number; better: number; pValue: number } {
  if (a.length > b.length)
    throw new RangeError(`signTestWorse: ${a.length} scores but only ${b.length} to pair them with`);
  let worse = 0;
  let better = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) worse++;
    else if (a[i] > b[i]) better++;
  }
  return { worse, better, pValue: binomialUpperTailHalf(worse, worse + better) };
}

/** P(X >= k) for X ~ Binomial(n, 1/2), exactly (log space); 1 when k <= 0. */
export function binomialUpperTailHalf(k: number, n: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // sum_{i=k}^{n} C(n, i) / 2^n, terms in log space around the largest (i = k when k >= n/2)
  const logTerms: number[] = [];
  let logC = 0; // log C(n, i), built up from i = 0
  for (let i = 1; i <= n; i++) {
    logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) logTerms.push(logC - n * Math.LN2);
  }
  const top = Math.max(...logTerms);
  let s = 0;
  for (const t of logTerms) s += Math.exp(t - top);
  return Math.min(1, Math.exp(top + Math.log(s)));
}

/** Which paired test {@link pairedTestWorse} used. */
export type RaceTest = "sign" | "permutation";

/**
 * One-sided paired test that `a` is worse than `b` (a prefix of `a`'s examples paired with `b`'s
 * first scores): the exact sign test when both are 0/1, else the sign-flip permutation test on the
 * mean difference (see the module comment).
 */
export function pairedTestWorse(
  a: readonly number[],
  b: readonly number[],
): { test: RaceTest; pValue: number } {
  if (a.length > b.length)
    throw new RangeError(`pairedTestWorse: ${a.length} scores but only ${b.length} to pair them with`);
  const bb = b.slice(0, a.length);
  if (isZeroOne(a) && isZeroOne(bb)) return { test: "sign", pValue: signTestWorse(a, bb).pValue };
  return { test: "permutation", pValue: signFlipWorse(a.map((x, i) => x - bb[i])) };
}

/** Sign patterns enumerated exactly up to this many non-zero differences; drawn beyond. */
export const EXACT_PERMUTATION_MAX = 16;
/** Sign patterns drawn when there are more non-zero differences than {@link EXACT_PERMUTATION_MAX}. */
export const PERMUTATION_DRAWS = 10_000;
const PERMUTATION_SEED = 20_240_611;

/**
 * One-sided sign-flip permutation p-value that the mean of the paired differences `d` is below 0:
 * P(sum s_i |d_i| <= sum d_i) over independent fair signs s_i (zeros dropped). Exact up to
 * {@link EXACT_PERMUTATION_MAX} non-zero differences (a Gray-code walk over every pattern), else
 * Monte Carlo with a fixed seed: (1 + hits) / (1 + draws). 1 when every difference is 0.
 */
export function signFlipWorse(d: readonly number[]): number {
  const abs: number[] = [];
  let observed = 0;
  for (const x of d) {
    if (!Number.isFinite(x)) throw new RangeError(`signFlipWorse: non-finite difference ${x}`);
    if (x !== 0) {
      abs.push(Math.abs(x));
      observed += x;
    }
  }
  const m = abs.length;
  if (m === 0) return 1;
  let total = 0;
  for (const x of abs) total += x;
  // sums within this of the observed one count as equal (the same numbers added in another order)
  const tol = 1e-9 * Math.max(1, total);
  const limit = observed + tol;
  if (m <= EXACT_PERMUTATION_MAX) {
    // Gray code: pattern g flips one sign from pattern g - 1; start with every sign +
    let sum = total;
    const signs = new Int8Array(m).fill(1);
    let hits = sum <= limit ? 1 : 0;
    const patterns = 2 ** m;
    for (let g = 1; g < patterns; g++) {
      const bit = 31 - Math.clz32(g & -g);
      sum -= 2 * signs[bit] * abs[bit];
      signs[bit] = -signs[bit];
      if (sum <= limit) hits++;
    }
    return hits / patterns;
  }
  const rng = new Rng(PERMUTATION_SEED);
  let hits = 0;
  for (let r = 0; r < PERMUTATION_DRAWS; r++) {
    let sum = 0;
    let bits = 0;
    for (let i = 0; i < m; i++) {
      if (i % 30 === 0) bits = rng.int(0, 0x3fffffff);
      sum += bits & 1 ? abs[i] : -abs[i];
      bits >>>= 1;
    }
    if (sum <= limit) hits++;
  }
  return (1 + hits) / (1 + PERMUTATION_DRAWS);
}

function isZeroOne(xs: readonly number[]): boolean {
  for (const x of xs) if (x !== 0 && x !== 1) return false;
  return true;
}

/**
 * The rank racing guards (see the module comment): `selectionTopK` under fresh selection (any of the
 * top k can win on the selection split), 1 under the validation rule (only the best can win). A run
 * whose task turns out too small for a selection split falls back to the validation rule after the
 * search; its races guarded the top k, which is only more cautious.
 */
export function racingRank(config: { selection?: SelectionRule; selectionTopK?: number }): number {
  return config.selection === "fresh" ? Math.max(1, config.selectionTopK ?? 1) : 1;
}

/**
 * The decision after a block: stop (and why) or go on (null). `prefix`: the candidate's scores so far
 * (a prefix of the validation order); `total`: the validation set's size; `incumbent`: what it has to
 * beat (null: nothing fully scored yet, go on).
 */
export function raceDecision(
  prefix: readonly number[],
  incumbent: Incumbent | null,
  total: number,
  alpha: number,
): RaceStop | null {
  if (!incumbent || prefix.length >= total) return null;
  let sum = 0;
  for (const x of prefix) sum += x;
  // best possible mean: every remaining example scores 1
  if (compareScore((sum + (total - prefix.length)) / total, incumbent.score) < 0) return { reason: "bound" };
  // not behind the incumbent on these examples: either test's p-value is at least about 1/2 (the
  // null distribution is symmetric), so no level below 0.4 can stop it; skip the work
  let incumbentSum = 0;
  for (let i = 0; i < prefix.length; i++) incumbentSum += incumbent.scores[i];
  if (alpha < 0.4 && compareScore(sum, incumbentSum) >= 0) return null;
  const t = pairedTestWorse(prefix, incumbent.scores);
  if (t.pValue < alpha) return { reason: "test", pValue: t.pValue };
  return null;
}

/** [start, end) of each block of `block` examples over `total` examples. */
export function blocksOf(total: number, block: number): [number, number][] {
  if (!(Number.isInteger(block) && block >= 1)) throw new RangeError(`racing block ${block} must be >= 1`);
  const out: [number, number][] = [];
  for (let a = 0; a < total; a += block) out.push([a, Math.min(total, a + block)]);
  return out;
}

/** Records as the racing rules see them. */
interface Scored {
  index: number;
  score: number;
  scores: readonly number[];
  empty?: boolean;
  /** The instruction: records of the same instruction count once (as selection's top k does). */
  instruction?: string;
}

/** True when the record scored every one of the `total` validation examples. */
export function isFullyScored(r: { scores: readonly number[]; scored?: number }, total: number): boolean {
  return (r.scored ?? r.scores.length) >= total;
}

/**
 * The incumbent among `records`: of the fully scored ones (of `total` examples), distinct by
 * instruction and ranked by mean (the earliest on ties, as selection's top k ranks them), the one at
 * `rank` (1: the best, today's rule; k: the k-th best, what a candidate must beat to enter a top k).
 * Empty instructions never count. Null when fewer than `rank` distinct ones are fully scored.
 */
export function incumbentOf(records: readonly Scored[], total: number, rank = 1): Incumbent | null {
  if (!(Number.isInteger(rank) && rank >= 1)) throw new RangeError(`racing rank ${rank} must be >= 1`);
  const full = records.filter((r) => !r.empty && r.scores.length >= total);
  full.sort((a, b) => -compareScore(a.score, b.score) || a.index - b.index);
  const seen = new Set<string>();
  let n = 0;
  for (const r of full) {
    const key = r.instruction ?? `#${r.index}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (++n === rank) return { index: r.index, score: r.score, scores: r.scores };
  }
  return null;
}

/** True when a fully scored record scores 1 (the maximum) on every validation example. */
export function isPerfect(r: { scores: readonly number[]; empty?: boolean }, total: number): boolean {
  return !r.empty && r.scores.length >= total && total > 0 && r.scores.every((x) => x >= 1);
}
