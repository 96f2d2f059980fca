/**
 * Analytic Expected Improvement for maximisation and its logarithm (BoTorch's
 * ExpectedImprovement / LogExpectedImprovement):
 *   EI(x) = sigma h(z),  z = (mean - bestF) / sigma,  h(z) = phi(z) + z Phi(z),
 *   log EI = log h(z) + log sigma, accurate far into the left tail (see normal.ts).
 */
import type { PosteriorPrediction } from "./gp.js";
import { eiH, logH } from "./normal.js";

/** Smallest variance used in EI (BoTorch clamps at 1e-12). */
export const MIN_VARIANCE = 1e-12;

/** EI of a normal N(mean, variance) over bestF (maximisation). */
export function expectedImprovement(mean: number, variance: number, bestF: number): number {
  const sigma = Math.sqrt(Math.max(variance, MIN_VARIANCE));
  return sigma * eiH((mean - bestF) / sigma);
}

/** log EI of a normal N(mean, variance) over bestF; finite where EI underflows to 0. */
export function logExpectedImprovement(mean: number, variance: number, bestF: number): number {
  const sigma = Math.sqrt(Math.max(variance, MIN_VARIANCE));
  return logH((mean - bestF) / sigma) + Math.log(sigma);
}

/** log EI for each point of a posterior prediction (length m). */
export function logEiOf(pred: PosteriorPrediction, bestF: number): Float64Array {
  const out = new Float64Array(pred.mean.length);
  for (let i = 0; i < out.length; i++) out[i] = logExpectedImprovement(pred.mean[i], pred.variance[i], bestF);
  return out;
}
