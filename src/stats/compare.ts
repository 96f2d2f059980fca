/**
 * Paired comparison of the winning instruction against a baseline on the same test examples, and the
 * sentence that reports it ("better than human instruction by +0.12 (95% CI +0.05 to +0.19)").
 *
 * - The size of the effect is always the mean paired difference winner - baseline with a paired
 *   percentile-bootstrap interval at level 1 - alpha (see ./bootstrap.ts for why percentile).
 * - The verdict:
 *   - both score vectors 0/1 (em, contains, es ...): the **exact McNemar test** (./mcnemar.ts) at
 *     `alpha`; "better"/"worse" when p < alpha, by the sign of the difference, else
 *     "indistinguishable". Exact because the number of discordant examples is usually small, where
 *     the chi-square approximation and the bootstrap (which is discrete and too narrow for small n)
 *     are both unreliable.
 *   - otherwise (f1, judge scores in [0, 1] ...): the **paired bootstrap**: "better" when the whole
 *     interval is above 0, "worse" when it is below 0, else "indistinguishable". The reported p-value
 *     is the bootstrap's two-sided achieved significance, min(1, 2 min(P*(d* <= 0), P*(d* >= 0))) over
 *     the same resamples; it is informative only, the verdict comes from the interval.
 *   With 0/1 scores the McNemar verdict and the bootstrap interval can disagree at the margin (e.g.
 *   p = 0.04 with an interval that touches 0); the verdict follows the test, the interval shows the size.
 * - `alpha` = 0.05 by default, i.e. 95% intervals.
 */

import { Rng } from "../util/rng.js";
import { bootstrapMeans, DEFAULT_RESAMPLES, mean, percentileInterval } from "./bootstrap.js";
import { isBinary, mcnemarExact } from "./mcnemar.js";

export type ComparisonVerdict = "better" | "worse" | "indistinguishable";
export type ComparisonTest = "mcnemar" | "paired-bootstrap";

export interface ComparisonOptions {
  /** Seed of the bootstrap resampling (required: the result is reproducible). */
  seed: number;
  /** Significance level (default 0.05); the interval is at level 1 - alpha. */
  alpha?: number;
  /** Bootstrap resamples (default 10,000). */
  resamples?: number;
}

export interface Comparison {
  /** Mean of winner - baseline over the paired examples. */
  diff: number;
  /** Paired percentile-bootstrap interval of `diff` at level 1 - alpha. */
  low: number;
  high: number;
  /** Exact McNemar p-value, or the bootstrap's achieved significance (see the module comment). */
  pValue: number;
  test: ComparisonTest;
  verdict: ComparisonVerdict;
  /** Confidence level of [low, high] (1 - alpha). */
  level: number;
  /** Number of paired examples. */
  n: number;
}

/** Compare per-example scores of `winner` and `baseline` on the same examples (same order). */
export function compareScores(
  winner: readonly number[],
  baseline: readonly number[],
  options: ComparisonOptions,
): Comparison {
  if (winner.length !== baseline.length)
    throw new RangeError(
      `compareScores: paired lists differ in length (${winner.length} vs ${baseline.length})`,
    );
  if (winner.length === 0) throw new RangeError("compareScores: no examples");
  for (const xs of [winner, baseline])
    for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`compareScores: non-finite score ${x}`);
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`compareScores: alpha must be in (0, 1), got ${alpha}`);
  const level = 1 - alpha;
  const d = winner.map((x, i) => x - baseline[i]);
  const diff = mean(d);
  const rng = new Rng(options.seed);
  const reps = bootstrapMeans(d, options.resamples ?? DEFAULT_RESAMPLES, (n) => rng.int(0, n - 1));
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (const r of reps) {
    if (r <= 0) atOrBelow++;
    if (r >= 0) atOrAbove++;
  }
  const bootP = Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / reps.length);
  const ci = percentileInterval(reps, level);
  const low = Math.min(ci.low, diff);
  const high = Math.max(ci.high, diff);

  if (isBinary(winner) && isBinary(baseline)) {
    const { pValue } = mcnemarExact(winner, baseline);
    const verdict: ComparisonVerdict = pValue < alpha ? (diff > 0 ? "better" : "worse") : "indistinguishable";
    return { diff, low, high, pValue, test: "mcnemar", verdict, level, n: d.length };
  }
  const verdict: ComparisonVerdict = low > 0 ? "better" : high < 0 ? "worse" : "indistinguishable";
  return { diff, low, high, pValue: bootP, test: "paired-bootstrap", verdict, level, n: d.length };
}

/** A signed score with `digits` decimals ("+0.12", "-0.04", "0.00" when it rounds to zero). */
export function formatSigned(x: number, digits = 2): string {
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return s;
  return (x > 0 ? "+" : "-") + s;
}

/**
 * The comparison in words, e.g.
 * "better than human instruction by +0.12 (95% CI +0.05 to +0.19)",
 * "worse than no instruction by -0.08 (95% CI -0.14 to -0.02)",
 * "not distinguishable from no instruction (difference +0.01, 95% CI -0.04 to +0.06)".
 * Differences are winner - baseline; the interval is the paired bootstrap interval at `c.level`.
 */
export function describeComparison(
  c: Pick<Comparison, "diff" | "low" | "high" | "verdict"> & { level?: number },
  baselineName: string,
  digits = 2,
): string {
  const pct = `${formatLevel(c.level ?? 0.95)}% CI ${formatSigned(c.low, digits)} to ${formatSigned(c.high, digits)}`;
  const d = formatSigned(c.diff, digits);
  if (c.verdict === "better") return `better than ${baselineName} by ${d} (${pct})`;
  if (c.verdict === "worse") return `worse than ${baselineName} by ${d} (${pct})`;
  return `not distinguishable from ${baselineName} (difference ${d}, ${pct})`;
}

function formatLevel(level: number): string {
  const p = level * 100;
  return Number.isInteger(Math.round(p * 1e6) / 1e6) ? String(Math.round(p)) : String(Number(p.toFixed(2)));
}
