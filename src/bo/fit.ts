/**
 * MAP fit of GP hyperparameters: maximise the MLL with priors (mll.ts) over unconstrained raw
 * parameters by L-BFGS from several starts: the warm start if given, gpytorch's default init, and
 * random draws.
 * Raw layout: [lengthscales (d), score lengthscales (D, coupled only), outputscale, noise, mean];
 * lengthscale = softplus(raw), outputscale = softplus(raw), noise = 1e-4 + softplus(raw), mean = raw.
 */
import { Rng } from "../util/rng.js";
import type { GpHyperparameters, GpTrainingData, KernelKind } from "./gp.js";
import { lbfgs } from "./lbfgs.js";
import { type GpPriors, marginalLogLikelihood, NOISE_FLOOR, REFERENCE_PRIORS } from "./mll.js";

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

/** Inverse of softplus for y > 0. */
export function inverseSoftplus(y: number): number {
  return y > 30 ? y : Math.log(Math.expm1(y));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Options of `fitHyperparameters`. */
export interface FitOptions {
  /** Seed of the random starts. */
  seed: number;
  kernel: KernelKind;
  /** Previous hyperparameters: tried first (with matching shapes). */
  warmStart?: GpHyperparameters;
  /** Random starts besides the warm start and the default init (default 2 cold, 0 with a warm start). */
  randomStarts?: number;
  /** L-BFGS iterations per start (default 150 cold, 25 with a warm start). */
  maxIterations?: number;
  priors?: GpPriors;
}

/** The fitted hyperparameters and the objective they reach. */
export interface FitResult {
  hyperparameters: GpHyperparameters;
  /** MLL with priors, divided by n, at the optimum. */
  mll: number;
  /** L-BFGS iterations summed over starts. */
  iterations: number;
}

/** Raw vector of a hyperparameter set. */
export function toRaw(h: GpHyperparameters): Float64Array {
  return Float64Array.from([
    ...h.lengthscales.map(inverseSoftplus),
    ...(h.kernel === "coupled" ? (h.scoreLengthscales ?? []).map(inverseSoftplus) : []),
    inverseSoftplus(h.outputscale),
    inverseSoftplus(Math.max(h.noise - NOISE_FLOOR, 1e-12)),
    h.mean,
  ]);
}

/** Hyperparameters of a raw vector (d point dims, D score dims). */
export function fromRaw(raw: ArrayLike<number>, kernel: KernelKind, d: number, D: number): GpHyperparameters {
  const ls = Array.from({ length: d }, (_, j) => softplus(raw[j]));
  let i = d;
  let scoreLengthscales: number[] | undefined;
  if (kernel === "coupled") {
    scoreLengthscales = Array.from({ length: D }, (_, j) => softplus(raw[d + j]));
    i += D;
  }
  const h: GpHyperparameters = {
    kernel,
    lengthscales: ls,
    outputscale: softplus(raw[i]),
    noise: NOISE_FLOOR + softplus(raw[i + 1]),
    mean: raw[i + 2],
  };
  if (scoreLengthscales) h.scoreLengthscales = scoreLengthscales;
  return h;
}

/** gpytorch's initial values: every raw parameter 0 (lengthscales and outputscale softplus(0) = 0.693). */
export function defaultHyperparameters(kernel: KernelKind, d: number, D: number): GpHyperparameters {
  return fromRaw(new Float64Array(d + (kernel === "coupled" ? D : 0) + 3), kernel, d, D);
}

/** Negative MLL (with priors, / n) and its gradient in raw coordinates; +Infinity where K is not PD. */
export function negMllRaw(
  data: GpTrainingData,
  kernel: KernelKind,
  priors: GpPriors,
): (raw: Float64Array) => { value: number; grad: Float64Array } {
  const d = data.d;
  const D = data.D ?? 0;
  return (raw) => {
    const h = fromRaw(raw, kernel, d, D);
    let r: ReturnType<typeof marginalLogLikelihood>;
    try {
      r = marginalLogLikelihood(data, h, priors, true);
    } catch {
      return { value: Number.POSITIVE_INFINITY, grad: new Float64Array(raw.length) };
    }
    const g = r.grad!;
    const out = new Float64Array(raw.length);
    for (let j = 0; j < d; j++) out[j] = -g.lengthscales[j] * sigmoid(raw[j]);
    let i = d;
    if (kernel === "coupled") {
      for (let j = 0; j < D; j++) out[d + j] = -g.scoreLengthscales![j] * sigmoid(raw[d + j]);
      i += D;
    }
    out[i] = -g.outputscale * sigmoid(raw[i]);
    out[i + 1] = -g.noise * sigmoid(raw[i + 1]);
    out[i + 2] = -g.mean;
    return { value: Number.isFinite(r.value) ? -r.value : Number.POSITIVE_INFINITY, grad: out };
  };
}

function shapesMatch(h: GpHyperparameters, kernel: KernelKind, d: number, D: number): boolean {
  if (h.kernel !== kernel || h.lengthscales.length !== d) return false;
  return kernel !== "coupled" || h.scoreLengthscales?.length === D;
}

/**
 * Fit hyperparameters by maximising the MLL with priors from several starts; returns the best.
 * Deterministic given data and options.
 */
export function fitHyperparameters(data: GpTrainingData, options: FitOptions): FitResult {
  const kernel = options.kernel;
  const d = data.d;
  const D = data.D ?? 0;
  const priors = options.priors ?? REFERENCE_PRIORS;
  const warm =
    options.warmStart && shapesMatch(options.warmStart, kernel, d, D) ? options.warmStart : undefined;
  const maxIterations = options.maxIterations ?? (warm ? 25 : 150);
  const nRandom = options.randomStarts ?? (warm ? 0 : 2);
  const rng = new Rng(options.seed);
  const starts: Float64Array[] = [];
  // The default init is always tried: a warm start alone can stay trapped in a degenerate mode
  // (e.g. outputscale ~ 0, "everything is noise") found while n was small.
  if (warm) starts.push(toRaw(warm));
  starts.push(toRaw(defaultHyperparameters(kernel, d, D)));
  for (let s = 0; s < nRandom; s++) {
    const raw = new Float64Array(d + (kernel === "coupled" ? D : 0) + 3);
    for (let j = 0; j < raw.length - 3; j++)
      raw[j] = inverseSoftplus(Math.exp(Math.log(0.1) + rng.uniform() * Math.log(30)));
    raw[raw.length - 3] = inverseSoftplus(Math.exp(Math.log(0.2) + rng.uniform() * Math.log(25)));
    raw[raw.length - 2] = inverseSoftplus(Math.exp(Math.log(1e-4) + rng.uniform() * Math.log(5e3)));
    raw[raw.length - 1] = (rng.uniform() - 0.5) * 0.5;
    starts.push(raw);
  }
  const f = negMllRaw(data, kernel, priors);
  let best: { x: Float64Array; value: number } | null = null;
  let iterations = 0;
  for (const x0 of starts) {
    if (!Number.isFinite(f(x0).value)) continue;
    const r = lbfgs(f, x0, { maxIterations, gradTolerance: 1e-5, valueTolerance: 1e-9 });
    iterations += r.iterations;
    if (!best || r.value < best.value) best = { x: r.x, value: r.value };
  }
  if (!best) throw new Error("fitHyperparameters: the likelihood is not finite at any start");
  return { hyperparameters: fromRaw(best.x, kernel, d, D), mll: -best.value, iterations };
}
