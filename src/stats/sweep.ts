/**
 * Summaries for sweeps over seeds: mean ± standard error of a method's score, and win/tie/loss of a
 * method against a baseline seed by seed.
 */

export interface MeanStdErr {
  mean: number;
  /**
   * Standard error of the mean: sample standard deviation (n - 1 denominator) / sqrt(n), as
   * scipy.stats.sem. NaN when n = 1 (undefined from one value: print it as "n/a", not as 0).
   */
  stdErr: number;
  n: number;
}

/** Mean and standard error of the mean of `xs` (e.g. one method's test score over seeds). */
export function meanStdErr(xs: readonly number[]): MeanStdErr {
  const n = xs.length;
  if (n === 0) throw new RangeError("meanStdErr of an empty list");
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`meanStdErr: non-finite value ${x}`);
  let s = 0;
  for (const x of xs) s += x;
  const m = s / n;
  if (n === 1) return { mean: m, stdErr: Number.NaN, n };
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return { mean: m, stdErr: Math.sqrt(ss / (n - 1) / n), n };
}

export interface WinTieLoss {
  win: number;
  tie: number;
  loss: number;
  n: number;
}

/**
 * Count seeds where the method beats, ties or loses to the baseline: each pair is
 * [method score, baseline score] on one seed. A difference whose absolute value is at most
 * `tolerance` (default 0: only equal scores tie) is a tie; a relative slack of 1e-9 absorbs
 * floating-point noise, so a difference of exactly the tolerance (0.55 - 0.5 with tolerance 0.05)
 * counts as a tie.
 */
export function winTieLoss(pairs: readonly (readonly [number, number])[], tolerance = 0): WinTieLoss {
  if (!(tolerance >= 0)) throw new RangeError(`winTieLoss: tolerance must be >= 0, got ${tolerance}`);
  let win = 0;
  let tie = 0;
  let loss = 0;
  for (const [m, b] of pairs) {
    if (!Number.isFinite(m) || !Number.isFinite(b)) throw new RangeError(`winTieLoss: non-finite score`);
    const d = m - b;
    const slack = tolerance + 1e-9 * Math.max(1, Math.abs(m), Math.abs(b));
    if (Math.abs(d) <= slack) tie++;
    else if (d > 0) win++;
    else loss++;
  }
  return { win, tie, loss, n: pairs.length };
}
