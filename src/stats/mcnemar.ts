/**
 * Exact McNemar test for two systems scored 0/1 on the same examples.
 *
 * Why exact McNemar for 0/1 scores: when both instructions are scored right/wrong on the same
 * examples, only the discordant examples (one right, the other wrong) carry information about which
 * is better; under "no difference" each discordant example is equally likely to go either way, so the
 * count of one kind is Binomial(b01 + b10, 1/2). The exact binomial test is valid for any number of
 * discordant pairs, whereas the chi-square McNemar approximation (with or without continuity
 * correction) is unreliable below ~25 discordant pairs, which is the usual case with test sets of tens
 * to a few hundred examples. It is two-sided: we ask "different?", then read the direction from the
 * sign of the difference.
 *
 * The two-sided p-value is min(1, 2 P(X <= min(b01, b10))), X ~ Binomial(n, 1/2), n = b01 + b10; for
 * p = 1/2 this equals the "sum of probabilities no larger than the observed one" definition used by
 * scipy.stats.binomtest (checked against it in test/stats/mcnemar.test.ts). With no discordant pair
 * the p-value is 1.
 */

export interface McNemarResult {
  /** Examples where a scores 0 and b scores 1. */
  b01: number;
  /** Examples where a scores 1 and b scores 0. */
  b10: number;
  /** Two-sided exact binomial p-value on the discordant pairs (1 when there are none). */
  pValue: number;
}

/** True when every value is exactly 0 or 1. */
export function isBinary(xs: readonly number[]): boolean {
  for (const x of xs) if (x !== 0 && x !== 1) return false;
  return true;
}

/** Exact two-sided McNemar test of paired 0/1 scores `a[i]`, `b[i]` (same example i). */
export function mcnemarExact(a: readonly number[], b: readonly number[]): McNemarResult {
  if (a.length !== b.length)
    throw new RangeError(`mcnemarExact: paired lists differ in length (${a.length} vs ${b.length})`);
  if (!isBinary(a) || !isBinary(b)) throw new RangeError("mcnemarExact: scores must all be 0 or 1");
  let b01 = 0;
  let b10 = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0 && b[i] === 1) b01++;
    else if (a[i] === 1 && b[i] === 0) b10++;
  }
  return { b01, b10, pValue: binomialTwoSidedHalf(b01, b10) };
}

/**
 * Two-sided exact binomial p-value for k successes of one kind and m of the other, success
 * probability 1/2: min(1, 2 P(X <= min(k, m))) with X ~ Binomial(k + m, 1/2). Computed in log space so
 * large counts neither underflow nor lose precision.
 */
export function binomialTwoSidedHalf(k: number, m: number): number {
  const n = k + m;
  if (n === 0) return 1;
  const lo = Math.min(k, m);
  if (2 * lo >= n) return 1;
  // log C(n, i) - n log 2, summed over i = 0..lo with log-sum-exp around the largest term (i = lo).
  const log2n = n * Math.LN2;
  const logTerms: number[] = [];
  let logC = 0;
  for (let i = 0; i <= lo; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    logTerms.push(logC - log2n);
  }
  const top = logTerms[lo];
  let s = 0;
  for (const t of logTerms) s += Math.exp(t - top);
  return Math.min(1, 2 * Math.exp(top + Math.log(s)));
}
