/**
 * Marginal log likelihood with hyperparameter priors and its analytic gradient (gpytorch's
 * ExactMarginalLogLikelihood: (log N(y; c, K) + sum log prior) / n).
 *
 * K = s k + sigma^2 diag(w), w the per-observation noise multipliers (default 1).
 * With r = y - c, alpha = K^-1 r, W = alpha alpha^T - K^-1:
 *   log N = -r.alpha/2 - log det K / 2 - n log(2 pi) / 2,   d log N = tr(W dK) / 2.
 * Matern:  dK/dl_j = s dk/dl_j.   Coupled (Kc = B S B, B = I - eps M, M = (Kzz + eps I)^-1):
 *   dKc/dS-lengthscale = B dS B;  dB = eps M dKzz M  =>  tr(W dKc) = 2 eps tr(M W B S M dKzz).
 */
import type { GpHyperparameters, GpTrainingData } from "./gp.js";
import { trainingCovariance } from "./gp.js";
import { COUPLED_KERNEL_JITTER, matern52LengthscaleGrad } from "./kernels.js";
import {
  cholesky,
  choleskyInverse,
  choleskySolve,
  frobeniusDot,
  logDetFromCholesky,
  matmul,
} from "./linalg.js";

/** Gamma(concentration, rate) prior: log p(x) = a log b - lgamma(a) + (a-1) log x - b x. */
export interface GammaPrior {
  concentration: number;
  rate: number;
}

/** Priors on the hyperparameters (null = flat). */
export interface GpPriors {
  lengthscale: GammaPrior | null;
  scoreLengthscale: GammaPrior | null;
  outputscale: GammaPrior | null;
  noise: GammaPrior | null;
}

/** The reference's priors: Gamma(3, 6) on every lengthscale, Gamma(1.1, 0.05) on the noise, none on s. */
export const REFERENCE_PRIORS: GpPriors = {
  lengthscale: { concentration: 3, rate: 6 },
  scoreLengthscale: { concentration: 3, rate: 6 },
  outputscale: null,
  noise: { concentration: 1.1, rate: 0.05 },
};

/** Lower bound of the noise variance (gpytorch GreaterThan(1e-4)). */
export const NOISE_FLOOR = 1e-4;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Gamma(x) for x > 0 (Lanczos, g = 7; relative error ~1e-15). */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log density of a Gamma(concentration, rate) prior at x. */
export function gammaLogPdf(x: number, p: GammaPrior): number {
  const a = p.concentration;
  const b = p.rate;
  return a * Math.log(b) - lgamma(a) + (a - 1) * Math.log(x) - b * x;
}

/** d/dx of gammaLogPdf. */
export function gammaLogPdfGrad(x: number, p: GammaPrior): number {
  return (p.concentration - 1) / x - p.rate;
}

/** Gradient of the objective with respect to each natural hyperparameter. */
export interface MllGradient {
  lengthscales: number[];
  scoreLengthscales?: number[];
  outputscale: number;
  noise: number;
  mean: number;
}

/** Value of (log N(y; c, K) + sum log priors) / n and, when asked, its gradient. */
export interface MllResult {
  value: number;
  grad?: MllGradient;
}

/**
 * MLL with priors divided by n (gpytorch's convention), and its analytic gradient with respect to
 * the natural hyperparameters (lengthscales, score lengthscales, outputscale, noise, mean).
 */
export function marginalLogLikelihood(
  data: GpTrainingData,
  h: GpHyperparameters,
  priors: GpPriors = REFERENCE_PRIORS,
  withGrad = true,
): MllResult {
  const { n, d } = data;
  const cov = trainingCovariance(data, h);
  const { L } = cholesky(cov.K, n);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = data.y[i] - h.mean;
  const alpha = choleskySolve(L, n, r, 1);
  let quad = 0;
  for (let i = 0; i < n; i++) quad += r[i] * alpha[i];
  let value = -0.5 * quad - 0.5 * logDetFromCholesky(L, n) - 0.5 * n * Math.log(2 * Math.PI);

  const lsPrior = priors.lengthscale;
  if (lsPrior) for (const l of h.lengthscales) value += gammaLogPdf(l, lsPrior);
  const sPrior = priors.scoreLengthscale;
  if (h.kernel === "coupled" && sPrior && h.scoreLengthscales) {
    for (const l of h.scoreLengthscales) value += gammaLogPdf(l, sPrior);
  }
  if (priors.outputscale) value += gammaLogPdf(h.outputscale, priors.outputscale);
  if (priors.noise) value += gammaLogPdf(h.noise, priors.noise);
  if (!withGrad) return { value: value / n };

  const Kinv = choleskyInverse(L, n);
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) W[i * n + j] = alpha[i] * alpha[j] - Kinv[i * n + j];
  }
  // d K / d sigma^2 = diag(noiseScale)
  let traceW = 0;
  const w = data.noiseScale;
  for (let i = 0; i < n; i++) traceW += W[i * n + i] * (w ? w[i] : 1);
  let meanGrad = 0;
  for (let i = 0; i < n; i++) meanGrad += alpha[i];
  const s = h.outputscale;
  const gOut = 0.5 * frobeniusDot(W, cov.Kbase);
  let gLs: Float64Array;
  let gScore: Float64Array | undefined;
  if (cov.coupled && data.scores && data.D && h.scoreLengthscales) {
    const { M, A, MS } = cov.coupled;
    const e = COUPLED_KERNEL_JITTER;
    // B W B = W - e (MW + WM) + e^2 MWM, with WM = (MW)^T (W, M symmetric).
    const MW = matmul(M, W, n, n, n);
    const MWM = matmul(MW, M, n, n, n);
    const BWB = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        BWB[i * n + j] = W[i * n + j] - e * (MW[i * n + j] + MW[j * n + i]) + e * e * MWM[i * n + j];
      }
    }
    gScore = matern52LengthscaleGrad(data.scores, n, data.D, h.scoreLengthscales, BWB).map(
      (x) => 0.5 * s * x,
    );
    // G = M W B S M = MW (S M - e M S M) = MW ((MS)^T - e A); tr(W dKc) = 2 e tr(G dKzz)
    const BSM = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) BSM[i * n + j] = MS[j * n + i] - e * A[i * n + j];
    }
    const G = matmul(MW, BSM, n, n, n);
    gLs = matern52LengthscaleGrad(data.X, n, d, h.lengthscales, G).map((x) => s * e * x);
  } else {
    gLs = matern52LengthscaleGrad(data.X, n, d, h.lengthscales, W).map((x) => 0.5 * s * x);
  }
  const lengthscales = Array.from(gLs);
  if (lsPrior) for (let j = 0; j < d; j++) lengthscales[j] += gammaLogPdfGrad(h.lengthscales[j], lsPrior);
  let scoreLengthscales: number[] | undefined;
  if (gScore && h.scoreLengthscales) {
    scoreLengthscales = Array.from(gScore);
    if (sPrior) {
      for (let j = 0; j < scoreLengthscales.length; j++) {
        scoreLengthscales[j] += gammaLogPdfGrad(h.scoreLengthscales[j], sPrior);
      }
    }
  }
  let outputscale = gOut;
  if (priors.outputscale) outputscale += gammaLogPdfGrad(s, priors.outputscale);
  let noise = 0.5 * traceW;
  if (priors.noise) noise += gammaLogPdfGrad(h.noise, priors.noise);
  return {
    value: value / n,
    grad: {
      lengthscales: lengthscales.map((g) => g / n),
      scoreLengthscales: scoreLengthscales?.map((g) => g / n),
      outputscale: outputscale / n,
      noise: noise / n,
      mean: meanGrad / n,
    },
  };
}
