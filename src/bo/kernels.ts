/**
 * Covariance functions on row-major Float64Array point sets (see linalg.ts for the layout):
 * Matern-5/2 with ARD lengthscales, a scale (outputscale) kernel, and InstructZero's
 * instruction-coupled kernel
 *   K(z1, z2) = k(z1, Z) (k(Z,Z) + 1e-4 I)^-1 S (k(Z,Z) + 1e-4 I)^-1 k(Z, z2),
 * where Z are the evaluated soft prompts and S a Matern-5/2 kernel over their score vectors.
 */
import { cholesky, choleskyInverse, matmul } from "./linalg.js";

const SQRT5 = Math.sqrt(5);

/** The 1e-4 added to k(Z,Z) inside the coupled kernel (the reference's constant). */
export const COUPLED_KERNEL_JITTER = 1e-4;

/**
 * Matern-5/2 ARD correlation (unit variance) between rows of X1 (m x d) and X2 (n x d):
 * k = (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r), r^2 = sum_j ((x_j - y_j) / l_j)^2. Returns m x n.
 */
export function matern52(
  X1: Float64Array,
  X2: Float64Array,
  m: number,
  n: number,
  d: number,
  lengthscales: ArrayLike<number>,
): Float64Array {
  const inv = new Float64Array(d);
  for (let j = 0; j < d; j++) inv[j] = 1 / lengthscales[j];
  const K = new Float64Array(m * n);
  const same = X1 === X2;
  for (let a = 0; a < m; a++) {
    const ra = a * d;
    for (let b = same ? a : 0; b < n; b++) {
      const rb = b * d;
      let r2 = 0;
      for (let j = 0; j < d; j++) {
        const t = (X1[ra + j] - X2[rb + j]) * inv[j];
        r2 += t * t;
      }
      const r = Math.sqrt(r2);
      const v = (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
      K[a * n + b] = v;
      if (same) K[b * n + a] = v;
    }
  }
  return K;
}

/**
 * Gradient of sum_ab G_ab k(x_a, x_b) (k = matern52(X, X), X: n x d, G: n x n) with respect to
 * each lengthscale: dk/dl_j = 5/3 (1 + sqrt5 r) exp(-sqrt5 r) (x_j - y_j)^2 / l_j^3. Returns length d.
 */
export function matern52LengthscaleGrad(
  X: Float64Array,
  n: number,
  d: number,
  lengthscales: ArrayLike<number>,
  G: Float64Array,
): Float64Array {
  const inv = new Float64Array(d);
  for (let j = 0; j < d; j++) inv[j] = 1 / lengthscales[j];
  const out = new Float64Array(d);
  const diff2 = new Float64Array(d);
  for (let a = 0; a < n; a++) {
    const ra = a * d;
    for (let b = a + 1; b < n; b++) {
      const g = G[a * n + b] + G[b * n + a];
      if (g === 0) continue;
      const rb = b * d;
      let r2 = 0;
      for (let j = 0; j < d; j++) {
        const t = X[ra + j] - X[rb + j];
        diff2[j] = t * t;
        r2 += t * t * inv[j] * inv[j];
      }
      const r = Math.sqrt(r2);
      const common = g * (5 / 3) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
      for (let j = 0; j < d; j++) out[j] += common * diff2[j] * inv[j] * inv[j] * inv[j];
    }
  }
  return out;
}

/** s K: the scale kernel applied to a correlation matrix (new array). */
export function scaleKernel(K: Float64Array, outputscale: number): Float64Array {
  const out = new Float64Array(K.length);
  for (let i = 0; i < K.length; i++) out[i] = outputscale * K[i];
  return out;
}

/** Training-set pieces of the instruction-coupled kernel (all n x n). */
export interface CoupledPieces {
  /** k(Z, Z), Matern-5/2 over soft prompts. */
  Kzz: Float64Array;
  /** M = (k(Z,Z) + 1e-4 I)^-1. */
  M: Float64Array;
  /** S = Matern-5/2 over the score vectors. */
  S: Float64Array;
  /** B = k(Z,Z) M = I - 1e-4 M (symmetric). */
  B: Float64Array;
  /** A = M S M: K(z1, z2) = k(z1, Z) A k(Z, z2). */
  A: Float64Array;
  /** M S. */
  MS: Float64Array;
  /** Kc = B S B: the coupled kernel on the training points. */
  Kc: Float64Array;
}

/**
 * Build the coupled kernel's pieces from soft prompts Z (n x d) and score vectors V (n x D).
 * Cost: a few n^3 operations.
 */
export function coupledPieces(
  Z: Float64Array,
  V: Float64Array,
  n: number,
  d: number,
  D: number,
  lengthscales: ArrayLike<number>,
  scoreLengthscales: ArrayLike<number>,
): CoupledPieces {
  const Kzz = matern52(Z, Z, n, n, d, lengthscales);
  const Kj = new Float64Array(Kzz);
  for (let i = 0; i < n; i++) Kj[i * n + i] += COUPLED_KERNEL_JITTER;
  const M = choleskyInverse(cholesky(Kj, n).L, n);
  const S = matern52(V, V, n, n, D, scoreLengthscales);
  const e = COUPLED_KERNEL_JITTER;
  const B = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) B[i] = -e * M[i];
  for (let i = 0; i < n; i++) B[i * n + i] += 1;
  const MS = matmul(M, S, n, n, n);
  const A = matmul(MS, M, n, n, n);
  symmetrise(A, n);
  // Kc = B S B = S - e (MS + SM) + e^2 MSM, with SM = (MS)^T.
  const Kc = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      Kc[i * n + j] = S[i * n + j] - e * (MS[i * n + j] + MS[j * n + i]) + e * e * A[i * n + j];
    }
  }
  symmetrise(Kc, n);
  return { Kzz, M, S, B, A, MS, Kc };
}

/** Replace A by (A + A^T) / 2 in place. */
export function symmetrise(A: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (A[i * n + j] + A[j * n + i]);
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  }
  return A;
}
