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
 * - **Paired test.** Otherwise it stops when an exact one-sided sign test on the examples scored so far,
 *   paired with the incumbent's scores on the same examples, says it is worse at level `alpha` (default
 *   0.01): with w examples where it scores below the incumbent and b where above (ties dropped),
 *   p = P(X >= w), X ~ Binomial(w + b, 1/2). On 0/1 scores this is the exact McNemar test on the
 *   discordant pairs (one-sided); on graded scores (f1, judges) it is the sign test, which assumes
 *   nothing about the size of the differences. Why exact and one-sided: with 5-20 examples the
 *   chi-square approximation is unreliable, and only "worse" stops a candidate. Why 0.01: a false drop
 *   loses a candidate as good as the best (and tells the GP it is worse than it is), while a late drop
 *   costs at most N - n calls; with ceil(N / block) - 1 looks per candidate (3 at the defaults) a
 *   candidate exactly as good as the incumbent is dropped with probability at most 3 x 0.01 (union
 *   bound), a better one far less often. The smallest p-value a sign test can reach on k discordant
 *   examples is 2^-k, so at 0.01 the test needs at least 7 discordant examples, all against.
 * - The last block always completes the candidate (no decision is needed), and the first block is
 *   always scored (the bound cannot stop a candidate before it has scored anything).
 */
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
  /** One-sided sign-test p-value (reason "test"). */
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
  const t = signTestWorse(prefix, incumbent.scores);
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
}

/** True when the record scored every one of the `total` validation examples. */
export function isFullyScored(r: { scores: readonly number[]; scored?: number }, total: number): boolean {
  return (r.scored ?? r.scores.length) >= total;
}

/**
 * The incumbent among `records`: the fully scored one (of `total` examples) with the highest mean,
 * the earliest on ties; empty instructions never count. Null when none is fully scored.
 */
export function incumbentOf(records: readonly Scored[], total: number): Incumbent | null {
  let best: Scored | null = null;
  for (const r of records) {
    if (r.empty || r.scores.length < total) continue;
    if (
      !best ||
      compareScore(r.score, best.score) > 0 ||
      (compareScore(r.score, best.score) === 0 && r.index < best.index)
    )
      best = r;
  }
  return best ? { index: best.index, score: best.score, scores: best.scores } : null;
}

/** True when a fully scored record scores 1 (the maximum) on every validation example. */
export function isPerfect(r: { scores: readonly number[]; empty?: boolean }, total: number): boolean {
  return !r.empty && r.scores.length >= total && total > 0 && r.scores.every((x) => x >= 1);
}
