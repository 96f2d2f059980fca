/**
 * CMA-ES (Hansen's (mu/mu_w, lambda) scheme with rank-one and rank-mu updates, after purecma),
 * seeded, on a box: candidates outside the box are evaluated at their projection and ranked with a
 * quadratic penalty on the distance, so the mean drifts back inside. The objective takes a whole
 * population at once (m x d, row-major) so a GP can score it in one pass.
 */
import type { Rng } from "../util/rng.js";
import { symmetricEigen } from "./linalg.js";

/** Batch objective: m points (m x d row-major) -> m values. */
export type BatchObjective = (X: Float64Array, m: number) => Float64Array;

/** Options of CMA-ES (defaults are the reference's acquisition optimiser). */
export interface CmaesOptions {
  /** Initial step size (default 0.8). */
  sigma0?: number;
  /** Population size lambda (default 50). */
  popSize?: number;
  /** Generations (default 10). */
  maxGenerations?: number;
  /** Box [lo, hi] on every coordinate (default [-1, 1]). */
  bounds?: [number, number];
  /** Stop when sigma * sqrt(max eigenvalue of C) falls below this (default 1e-12). */
  tolX?: number;
  /** Stop when the best value reaches this target (minimisation; default -Infinity). */
  target?: number;
}

/** Outcome of a CMA-ES run: the best (in-box) point seen and its value. */
export interface CmaesResult {
  x: number[];
  value: number;
  generations: number;
  evaluations: number;
}

/** Minimise f over [lo, hi]^d from x0 with CMA-ES. */
export function cmaesMinimize(
  f: BatchObjective,
  x0: readonly number[],
  rng: Rng,
  options: CmaesOptions = {},
): CmaesResult {
  const N = x0.length;
  const [lo, hi] = options.bounds ?? [-1, 1];
  const lambda = options.popSize ?? 50;
  const maxGen = options.maxGenerations ?? 10;
  const tolX = options.tolX ?? 1e-12;
  const target = options.target ?? Number.NEGATIVE_INFINITY;
  let sigma = options.sigma0 ?? 0.8;
  const mu = Math.floor(lambda / 2);
  const w = new Float64Array(mu);
  for (let i = 0; i < mu; i++) w[i] = Math.log(mu + 0.5) - Math.log(i + 1);
  const wsum = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < mu; i++) w[i] /= wsum;
  const mueff = 1 / w.reduce((a, b) => a + b * b, 0);
  const cc = (4 + mueff / N) / (N + 4 + (2 * mueff) / N);
  const cs = (mueff + 2) / (N + mueff + 5);
  const c1 = 2 / ((N + 1.3) ** 2 + mueff);
  const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((N + 2) ** 2 + mueff));
  const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (N + 1)) - 1) + cs;
  const chiN = Math.sqrt(N) * (1 - 1 / (4 * N) + 1 / (21 * N * N));

  const clip = (v: number) => Math.min(Math.max(v, lo), hi);
  const m = Float64Array.from(x0, clip);
  const pc = new Float64Array(N);
  const ps = new Float64Array(N);
  const C = new Float64Array(N * N);
  for (let i = 0; i < N; i++) C[i * N + i] = 1;

  let best = { x: Array.from(m), value: Number.POSITIVE_INFINITY };
  let evaluations = 0;
  let gen = 0;
  const X = new Float64Array(lambda * N); // raw samples
  const Xc = new Float64Array(lambda * N); // clipped samples
  const Z = new Float64Array(lambda * N); // standard normal draws
  const Y = new Float64Array(lambda * N); // B D z
  const order = new Array<number>(lambda);
  while (gen < maxGen) {
    const { values: eig, vectors: B } = symmetricEigen(C, N);
    const Dg = eig.map((e) => Math.sqrt(Math.max(e, 1e-300)));
    for (let k = 0; k < lambda; k++) {
      for (let i = 0; i < N; i++) Z[k * N + i] = rng.normal();
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += B[i * N + j] * Dg[j] * Z[k * N + j];
        Y[k * N + i] = s;
        const xi = m[i] + sigma * s;
        X[k * N + i] = xi;
        Xc[k * N + i] = clip(xi);
      }
    }
    const vals = f(Xc, lambda);
    evaluations += lambda;
    // Quadratic penalty on the distance to the box, scaled to the spread of this generation's values.
    const finite = Array.from(vals)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const spread =
      finite.length > 1
        ? finite[Math.floor(finite.length * 0.75)] - finite[Math.floor(finite.length * 0.25)]
        : 1;
    const weight = Math.max(spread, 1e-12);
    const fitness = new Float64Array(lambda);
    for (let k = 0; k < lambda; k++) {
      let d2 = 0;
      for (let i = 0; i < N; i++) {
        const t = X[k * N + i] - Xc[k * N + i];
        d2 += t * t;
      }
      const v = Number.isNaN(vals[k]) ? Number.POSITIVE_INFINITY : vals[k];
      fitness[k] = v + weight * d2;
      if (v < best.value) best = { x: Array.from(Xc.subarray(k * N, k * N + N)), value: v };
    }
    for (let k = 0; k < lambda; k++) order[k] = k;
    order.sort((a, b) => fitness[a] - fitness[b] || a - b);
    gen++;
    if (best.value <= target) break;

    // Recombination.
    const yw = new Float64Array(N);
    for (let r = 0; r < mu; r++) {
      const k = order[r];
      for (let i = 0; i < N; i++) yw[i] += w[r] * Y[k * N + i];
    }
    for (let i = 0; i < N; i++) m[i] += sigma * yw[i];
    // C^-1/2 yw = B D^-1 B^T yw
    const tmp = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += B[i * N + j] * yw[i];
      tmp[j] = s / Dg[j];
    }
    const csn = Math.sqrt(cs * (2 - cs) * mueff);
    let psNorm2 = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += B[i * N + j] * tmp[j];
      ps[i] = (1 - cs) * ps[i] + csn * s;
      psNorm2 += ps[i] * ps[i];
    }
    const psNorm = Math.sqrt(psNorm2);
    const hsig = psNorm / Math.sqrt(1 - (1 - cs) ** (2 * gen)) / chiN < 1.4 + 2 / (N + 1) ? 1 : 0;
    const ccn = Math.sqrt(cc * (2 - cc) * mueff);
    for (let i = 0; i < N; i++) pc[i] = (1 - cc) * pc[i] + hsig * ccn * yw[i];
    const c1a = c1 * (1 - (1 - hsig) * cc * (2 - cc));
    for (let i = 0; i < N; i++) {
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        for (let r = 0; r < mu; r++) {
          const k = order[r];
          rankMu += w[r] * Y[k * N + i] * Y[k * N + j];
        }
        const v = (1 - c1a - cmu) * C[i * N + j] + c1 * pc[i] * pc[j] + cmu * rankMu;
        C[i * N + j] = v;
        C[j * N + i] = v;
      }
    }
    sigma *= Math.exp(Math.min(1, (cs / damps) * (psNorm / chiN - 1)));
    let maxEig = 0;
    for (let i = 0; i < N; i++) maxEig = Math.max(maxEig, C[i * N + i]);
    if (sigma * Math.sqrt(maxEig) < tolX) break;
  }
  return { x: best.x, value: best.value, generations: gen, evaluations };
}

/** Maximise f over [lo, hi]^d from x0 with CMA-ES (value is the maximum found). */
export function cmaesMaximize(
  f: BatchObjective,
  x0: readonly number[],
  rng: Rng,
  options: CmaesOptions = {},
): CmaesResult {
  const r = cmaesMinimize((X, m) => f(X, m).map((v) => -v), x0, rng, {
    ...options,
    target: options.target === undefined ? undefined : -options.target,
  });
  return { ...r, value: -r.value };
}
