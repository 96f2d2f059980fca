/**
 * Bootstrap confidence intervals for a mean score and for a paired difference of mean scores.
 *
 * A run's test intervals and verdicts no longer use these percentile intervals: they come from
 * ./interval.ts (Wilson for 0/1 scores, the studentized bootstrap for graded ones), which hold at small
 * n (README, Statistics). These remain for library users and as the "old" column of `npm run
 * bench:verdict`; {@link quantileSorted} is shared with ./studentized.ts.
 *
 * Choices:
 * - **Percentile bootstrap** (Efron): resample the examples with replacement, take the mean of each
 *   resample, and report the `(1 - level) / 2` and `(1 + level) / 2` quantiles of those means. It makes
 *   no normality assumption (scores are 0/1 or bounded in [0, 1], skewed near 0 and 1), the interval
 *   always stays inside the range of the data (never below 0 or above 1 for such scores) and it is the
 *   easiest interval to explain. BCa would correct a little more for skew but needs a jackknife and is
 *   unstable with the small, discrete test sets we see; Student-t intervals can leave [0, 1]. Known
 *   limit: for small n (below ~30) the percentile interval is slightly too narrow (coverage a few
 *   points under the nominal level), and with all scores equal it collapses to a point.
 * - **Level 0.95** by default, the conventional level; intervals are printed as "95% CI".
 * - **10,000 resamples** by default: the Monte Carlo error of a 2.5% quantile is then well below the
 *   0.01 resolution at which scores are printed, and it costs a few milliseconds for test sets of
 *   hundreds of examples.
 * - **Quantiles** are numpy's default ("linear", Hyndman-Fan type 7): sorted means s[0..B-1], the
 *   q-quantile is interpolated at position (B - 1) q.
 * - **Determinism**: the only randomness is a {@link Rng} seeded with `seed`; the same values, seed,
 *   resamples and level give the same interval on every machine. The index stream is consumed
 *   resample by resample (all n indices of resample 0, then resample 1, ...), each index drawn with
 *   `rng.int(0, n - 1)`.
 * - **Paired difference**: the two score vectors are on the same examples, so one set of resampled
 *   indices is used for both (the mean of a - b over the resample): the pairing removes the
 *   per-example difficulty shared by both instructions, which makes the interval much narrower than
 *   two independent intervals would suggest.
 */
import { Rng } from "../util/rng.js";

export interface BootstrapOptions {
  /** Seed of the resampling stream (required: every interval is reproducible). */
  seed: number;
  /** Number of bootstrap resamples (default 10,000). */
  resamples?: number;
  /** Confidence level in (0, 1) (default 0.95). */
  level?: number;
}

export interface MeanInterval {
  /** Mean of the values (the point estimate; not the mean of the resampled means). */
  mean: number;
  low: number;
  high: number;
}

export interface DiffInterval {
  /** Mean of a - b over the examples. */
  diff: number;
  low: number;
  high: number;
}

export const DEFAULT_RESAMPLES = 10_000;
export const DEFAULT_LEVEL = 0.95;

/** Arithmetic mean; throws on an empty list. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("mean of an empty list");
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The q-quantile (q in [0, 1]) of values already sorted in ascending order, with numpy's default
 * linear interpolation (type 7): position (n - 1) q between the two nearest order statistics.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantile of an empty list");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const frac = h - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/**
 * The means of `resamples` bootstrap resamples of `values`, with indices taken from `nextIndex(n)`
 * (an integer in [0, n - 1]) in resample-major order. Exposed so the resampling can be replayed
 * from a recorded index stream (tests); {@link bootstrapMeanCI} passes a seeded {@link Rng}.
 */
export function bootstrapMeans(
  values: readonly number[],
  resamples: number,
  nextIndex: (n: number) => number,
): Float64Array {
  const n = values.length;
  if (n === 0) throw new RangeError("bootstrap of an empty list");
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[nextIndex(n)];
    out[r] = s / n;
  }
  return out;
}

/** Percentile interval of bootstrap replicates at `level` (sorts `replicates` in place). */
export function percentileInterval(replicates: Float64Array, level: number): { low: number; high: number } {
  checkLevel(level);
  replicates.sort();
  const tail = (1 - level) / 2;
  return { low: quantileSorted(replicates, tail), high: quantileSorted(replicates, 1 - tail) };
}

/**
 * Percentile-bootstrap confidence interval of the mean of `values` (e.g. per-example test scores).
 * Deterministic for a given seed. Throws on an empty list or non-finite values.
 */
export function bootstrapMeanCI(values: readonly number[], options: BootstrapOptions): MeanInterval {
  checkFinite(values, "bootstrapMeanCI");
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const level = options.level ?? DEFAULT_LEVEL;
  checkLevel(level);
  const m = mean(values);
  const rng = new Rng(options.seed);
  const reps = bootstrapMeans(values, resamples, (n) => rng.int(0, n - 1));
  const { low, high } = percentileInterval(reps, level);
  // Rounding in the resampled sums can put an endpoint an ulp past the mean when all values are equal.
  return { mean: m, low: Math.min(low, m), high: Math.max(high, m) };
}

/**
 * Paired percentile-bootstrap interval of mean(a - b), where a[i] and b[i] are two systems' scores on
 * the same example i: the examples are resampled (one index set for both), not the two lists
 * separately. Same resampling stream as `bootstrapMeanCI` on the differences.
 */
export function pairedBootstrapDiffCI(
  a: readonly number[],
  b: readonly number[],
  options: BootstrapOptions,
): DiffInterval {
  if (a.length !== b.length)
    throw new RangeError(`pairedBootstrapDiffCI: paired lists differ in length (${a.length} vs ${b.length})`);
  checkFinite(a, "pairedBootstrapDiffCI");
  checkFinite(b, "pairedBootstrapDiffCI");
  const d = a.map((x, i) => x - b[i]);
  const { mean: diff, low, high } = bootstrapMeanCI(d, options);
  return { diff, low, high };
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
}

function checkFinite(xs: readonly number[], where: string): void {
  if (xs.length === 0) throw new RangeError(`${where}: empty list`);
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`${where}: non-finite value ${x}`);
}
