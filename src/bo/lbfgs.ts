/**
 * Unconstrained L-BFGS minimisation (two-loop recursion, backtracking Armijo line search).
 * Bounded parameters are handled by the caller through transforms (softplus, exp).
 */

/** Objective value and gradient at x. A non-finite value marks x as infeasible (the step shrinks). */
export type ValueAndGradient = (x: Float64Array) => { value: number; grad: Float64Array };

/** Options of `lbfgs`. */
export interface LbfgsOptions {
  /** Maximum iterations (default 100). */
  maxIterations?: number;
  /** Number of stored correction pairs (default 10). */
  memory?: number;
  /** Stop when max |grad_i| <= this (default 1e-6). */
  gradTolerance?: number;
  /** Stop when (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <= this (default 1e-10, near scipy's ftol). */
  valueTolerance?: number;
}

/** Outcome of `lbfgs`. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  grad: Float64Array;
  iterations: number;
  evaluations: number;
  /** True when a tolerance (not the iteration cap or a failed line search) stopped the run. */
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Minimise f from x0 by L-BFGS. The start must give a finite value. */
export function lbfgs(f: ValueAndGradient, x0: ArrayLike<number>, options: LbfgsOptions = {}): LbfgsResult {
  const maxIter = options.maxIterations ?? 100;
  const mem = options.memory ?? 10;
  const gtol = options.gradTolerance ?? 1e-6;
  const ftol = options.valueTolerance ?? 1e-10;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let { value, grad } = f(x);
  let evaluations = 1;
  if (!Number.isFinite(value)) throw new Error("lbfgs: objective is not finite at the start");
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let iterations = 0;
  let converged = maxAbs(grad) <= gtol;
  while (!converged && iterations < maxIter) {
    // Two-loop recursion: direction p = -H grad.
    const q = Float64Array.from(grad);
    const alphas = new Array<number>(S.length);
    for (let i = S.length - 1; i >= 0; i--) {
      alphas[i] = rho[i] * dot(S[i], q);
      for (let j = 0; j < n; j++) q[j] -= alphas[i] * Y[i][j];
    }
    let gamma = 1;
    if (S.length > 0) {
      const k = S.length - 1;
      gamma = dot(S[k], Y[k]) / dot(Y[k], Y[k]);
    } else {
      gamma = 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    }
    for (let j = 0; j < n; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const beta = rho[i] * dot(Y[i], q);
      for (let j = 0; j < n; j++) q[j] += S[i][j] * (alphas[i] - beta);
    }
    const p = q.map((v) => -v);
    let slope = dot(p, grad);
    if (!(slope < 0)) {
      // Not a descent direction: reset memory, use steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      const scale = 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
      for (let j = 0; j < n; j++) p[j] = -grad[j] * scale;
      slope = dot(p, grad);
      if (!(slope < 0)) break;
    }
    // Backtracking Armijo line search.
    let t = 1;
    let accepted = false;
    let xNew = x;
    let fNew = value;
    let gNew = grad;
    for (let ls = 0; ls < 40; ls++) {
      xNew = x.map((xi, j) => xi + t * p[j]);
      const r = f(xNew);
      evaluations++;
      if (Number.isFinite(r.value) && r.value <= value + 1e-4 * t * slope) {
        fNew = r.value;
        gNew = r.grad;
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    iterations++;
    if (!accepted) break;
    const s = xNew.map((v, j) => v - x[j]);
    const y = gNew.map((v, j) => v - grad[j]);
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > mem) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const rel = (value - fNew) / Math.max(Math.abs(value), Math.abs(fNew), 1);
    x = xNew;
    value = fNew;
    grad = gNew;
    if (maxAbs(grad) <= gtol || rel <= ftol) converged = true;
  }
  return { x, value, grad, iterations, evaluations, converged };
}
