/**
 * The power plan: the smallest gain over a baseline that a test split of n examples can detect.
 *
 * {@link minDetectableGain}: the smallest d > 0 such that a two-sided test at level `alpha` (the
 * verdict's: "better" when the 1 - alpha interval is above 0) detects a true gain d over a baseline of
 * accuracy p0 with probability `power` (default 0.8), by the normal approximation
 *   d sqrt(n) = (z_{1 - alpha/2} + z_power) sqrt(p0 (1 - p0) + p1 (1 - p1)),  p1 = p0 + d,
 * solved for d by bisection. The variance is that of the difference of two independent 0/1 scores:
 * on the same examples the two instructions' errors are usually positively correlated, which makes
 * the paired difference less variable, so the plan is conservative (a larger gain than needed). For
 * graded scores in [0, 1] with mean p, p (1 - p) is the largest variance possible, so the plan is
 * conservative there too. Null when even p1 = 1 is not detectable (n too small, or p0 = 1).
 * Wiring it into `--dry-run` and the run header is done where those are printed (not in stats/).
 */
import { normalQuantile } from "./normal.js";

export interface PowerOptions {
  /** Two-sided level of the verdict (default 0.05). */
  alpha?: number;
  /** Probability of detecting the gain (default 0.8). */
  power?: number;
}

/** Smallest gain over `baseline` (a score in [0, 1]) detectable on `n` test examples; null if none. */
export function minDetectableGain(n: number, baseline: number, options: PowerOptions = {}): number | null {
  if (!(Number.isInteger(n) && n >= 1))
    throw new RangeError(`minDetectableGain: n must be a positive integer, got ${n}`);
  if (!(baseline >= 0 && baseline <= 1))
    throw new RangeError(`minDetectableGain: baseline must be in [0, 1], got ${baseline}`);
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`minDetectableGain: alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1))
    throw new RangeError(`minDetectableGain: power must be in (0, 1), got ${power}`);
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  // g(d) > 0 once d is detectable; g is increasing in d on (0, 1 - p0]
  const g = (d: number) => {
    const p1 = baseline + d;
    return d * Math.sqrt(n) - z * Math.sqrt(baseline * (1 - baseline) + p1 * (1 - p1));
  };
  const top = 1 - baseline;
  if (top <= 0 || g(top) < 0) return null;
  let lo = 0;
  let hi = top;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (g(mid) >= 0) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The inverse of {@link minDetectableGain}: the fewest test examples on which a gain of `gain` over
 * `baseline` is detected with probability `power` (same approximation):
 * ceil((z_{1 - alpha/2} + z_power)^2 (p0 (1 - p0) + p1 (1 - p1)) / gain^2), p1 = p0 + gain. For sizing a
 * test split (within a cap) by the gain worth detecting.
 */
export function examplesForGain(gain: number, baseline: number, options: PowerOptions = {}): number {
  if (!(baseline >= 0 && baseline <= 1))
    throw new RangeError(`examplesForGain: baseline must be in [0, 1], got ${baseline}`);
  if (!(gain > 0 && baseline + gain <= 1))
    throw new RangeError(`examplesForGain: gain must be in (0, 1 - baseline], got ${gain}`);
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`examplesForGain: alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1))
    throw new RangeError(`examplesForGain: power must be in (0, 1), got ${power}`);
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  const p1 = baseline + gain;
  const n = (z * z * (baseline * (1 - baseline) + p1 * (1 - p1))) / (gain * gain);
  return Math.max(1, Math.ceil(n - 1e-9));
}
