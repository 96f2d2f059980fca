/**
 * Partially observed points: a candidate that racing stopped early (src/optimizers/racing.ts) was scored
 * on a prefix of the D validation examples only. Two things follow for the GP.
 *
 * - **Noisier observation.** Its value is a mean over n < D examples, so its sampling variance is about
 *   D / n times that of a full mean (for a mean of n independent 0/1 scores with the same accuracy,
 *   exactly). It enters the GP with observation noise sigma^2 D / n instead of sigma^2 (`noiseScale`,
 *   see gp.ts), the noise sigma^2 being fitted as usual. Values of dropped candidates are also biased
 *   low (they were dropped for doing badly); the larger noise lets the GP discount them.
 * - **Missing score-vector entries.** The instruction-coupled kernel compares candidates by their
 *   per-example score vectors. A prefix vector is completed by imputing each missing entry with the
 *   mean of its observed entries (the candidate's score so far, the best guess of an unseen score
 *   absent example effects). The completed vectors are ordinary points, so the score kernel stays a
 *   Matern kernel over D-dimensional vectors: positive semi-definite, with the same ARD lengthscale
 *   gradients. Comparing candidates on their common prefix only (with the distance rescaled to D)
 *   was rejected: a kernel whose pairs use different coordinates is not positive semi-definite in
 *   general, and the Cholesky factorisation of the training covariance could fail.
 */

/** Completed score vectors (n x D, row-major) and each row's noise multiplier D / observed. */
export interface CompletedScores {
  scores: Float64Array;
  D: number;
  /** D / (entries observed) per row: 1 for a full vector. */
  noiseScale: Float64Array;
  /** Number of rows with missing entries. */
  partial: number;
}

/**
 * Complete score vectors that may be prefixes of the longest one (length D): missing entries are the
 * mean of the row's observed entries. Every row needs at least one entry.
 */
export function completeScoreVectors(vectors: readonly (readonly number[])[]): CompletedScores {
  const n = vectors.length;
  let D = 0;
  for (const v of vectors) D = Math.max(D, v.length);
  const scores = new Float64Array(n * D);
  const noiseScale = new Float64Array(n);
  let partial = 0;
  vectors.forEach((v, i) => {
    if (v.length === 0) throw new RangeError(`completeScoreVectors: vector ${i} is empty`);
    let s = 0;
    for (let j = 0; j < v.length; j++) {
      scores[i * D + j] = v[j];
      s += v[j];
    }
    const mean = s / v.length;
    for (let j = v.length; j < D; j++) scores[i * D + j] = mean;
    noiseScale[i] = D / v.length;
    if (v.length < D) partial++;
  });
  return { scores, D, noiseScale, partial };
}
