/**
 * Standard normal helpers and the numerically careful pieces of (log) Expected Improvement,
 * after BoTorch's acquisition/analytic.py (`_log_ei_helper`, built on erfcx).
 */
import erfc from "@stdlib/math-base-special-erfc";
import erfcx from "@stdlib/math-base-special-erfcx";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const HALF_LOG_PI_OVER_2 = 0.5 * Math.log(Math.PI / 2);
const SQRT1_2 = Math.SQRT1_2;
/** Below this z, h(z) = phi(z) + z Phi(z) is evaluated by its asymptotic expansion. */
const NEG_INV_SQRT_EPS = -1 / Math.sqrt(Number.EPSILON);

/** phi(z) = exp(-z^2/2) / sqrt(2 pi). */
export function normPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** log phi(z). */
export function logNormPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** Phi(z) = erfc(-z / sqrt 2) / 2, accurate (relative) far into the left tail. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z * SQRT1_2);
}

/** log Phi(z), accurate far into the left tail. */
export function logNormCdf(z: number): number {
  if (z >= 0) return Math.log1p(-0.5 * erfc(z * SQRT1_2));
  return Math.log(0.5 * erfcx(-z * SQRT1_2)) - 0.5 * z * z;
}

/** log(1 - exp(x)) for x < 0 (Maechler's log1mexp). */
export function log1mexp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/**
 * h(z) = phi(z) + z Phi(z): the expected improvement of a standard normal over -z, i.e.
 * EI(mean, var, best) = sigma h((mean - best) / sigma). Plain formula; use `logH` in the tail.
 */
export function eiH(z: number): number {
  return normPdf(z) + z * normCdf(z);
}

/**
 * log h(z), accurate for all z (no underflow to -Infinity until z ~ -1e154):
 * - z > -1: log of the direct formula;
 * - -1/sqrt(eps) < z <= -1: log phi(z) + log1mexp(log(|z| Phi(z)/phi(z))) with
 *   Phi(z)/phi(z) = sqrt(pi/2) erfcx(-z/sqrt 2);
 * - below: the asymptote -z^2/2 - log sqrt(2 pi) - 2 log|z|.
 */
export function logH(z: number): number {
  if (z > -1) return Math.log(eiH(z));
  if (z > NEG_INV_SQRT_EPS) {
    const logRatio = Math.log(erfcx(-z * SQRT1_2) * -z) + HALF_LOG_PI_OVER_2;
    return logNormPdf(z) + log1mexp(logRatio);
  }
  return -0.5 * z * z - LOG_SQRT_2PI - 2 * Math.log(-z);
}
