/**
 * Dense linear algebra on row-major Float64Array matrices: the few operations a GP needs.
 * A matrix of shape (r, c) is a Float64Array of length r*c, element (i, j) at i*c + j.
 */

/** Result of a Cholesky factorisation with adaptive jitter. */
export interface CholeskyResult {
  /** Lower-triangular factor L (n x n, row-major, upper part zero) with L L^T = A + jitter I. */
  L: Float64Array;
  /** Jitter added to the diagonal (0 when A factorised as given). */
  jitter: number;
}

/**
 * In-place attempt at L L^T = A (A: n x n symmetric). Returns false when a pivot is not positive.
 * Reads only the lower triangle of `a`; writes L over it and zeros the upper triangle.
 */
function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return true;
}

/**
 * Cholesky factor of a symmetric positive (semi-)definite matrix A (n x n), adding jitter to the
 * diagonal when needed, like gpytorch's psd_safe_cholesky: try A, then A + 1e-8*mean(diag)*10^k I
 * for k = 0..maxTries-1. Throws when every attempt fails (A not PSD or not finite).
 */
export function cholesky(A: Float64Array, n: number, maxTries = 6): CholeskyResult {
  const work = new Float64Array(A);
  if (choleskyInPlace(work, n)) return { L: work, jitter: 0 };
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += A[i * n + i];
  meanDiag = Math.abs(meanDiag / Math.max(n, 1)) || 1;
  let jitter = 1e-8 * meanDiag;
  for (let t = 0; t < maxTries; t++) {
    work.set(A);
    for (let i = 0; i < n; i++) work[i * n + i] += jitter;
    if (choleskyInPlace(work, n)) return { L: work, jitter };
    jitter *= 10;
  }
  throw new Error(`cholesky: matrix (${n}x${n}) is not positive definite even with jitter ${jitter / 10}`);
}

/** Solve L X = B in place (L: n x n lower triangular, B: n x m). */
export function solveLowerInPlace(L: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const lik = L[ri + k];
      if (lik === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) B[bi + c] -= lik * B[bk + c];
    }
    const inv = 1 / L[ri + i];
    for (let c = 0; c < m; c++) B[bi + c] *= inv;
  }
  return B;
}

/** Solve L^T X = B in place (L: n x n lower triangular, B: n x m). */
export function solveUpperTransInPlace(L: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * m;
    for (let k = i + 1; k < n; k++) {
      const lki = L[k * n + i];
      if (lki === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) B[bi + c] -= lki * B[bk + c];
    }
    const inv = 1 / L[i * n + i];
    for (let c = 0; c < m; c++) B[bi + c] *= inv;
  }
  return B;
}

/** X = A^-1 B from the Cholesky factor L of A (B: n x m, not modified). */
export function choleskySolve(L: Float64Array, n: number, B: Float64Array, m: number): Float64Array {
  const X = new Float64Array(B);
  solveLowerInPlace(L, n, X, m);
  solveUpperTransInPlace(L, n, X, m);
  return X;
}

/**
 * A^-1 (n x n, symmetric) from the Cholesky factor L of A: L^-T L^-1. Skips the structural zeros of
 * the triangular factors and computes one triangle; bit-identical to solving for L^-1 in full and
 * multiplying with `matmul` (the same products are summed in the same order).
 */
export function choleskyInverse(L: Float64Array, n: number): Float64Array {
  // Linv = L^-1 (lower triangular): row i has non-zeros in columns 0..i only.
  const Linv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    Linv[ri + i] = 1;
    for (let k = 0; k < i; k++) {
      const lik = L[ri + k];
      if (lik === 0) continue;
      const bk = k * n;
      for (let c = 0; c <= k; c++) Linv[ri + c] -= lik * Linv[bk + c];
    }
    const inv = 1 / L[ri + i];
    for (let c = 0; c <= i; c++) Linv[ri + c] *= inv;
  }
  // out_ij = sum_p Linv_pi Linv_pj over p >= max(i, j), in matmul's blocks of four rows.
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    let p = i - (i % 4);
    for (; p + 3 < n; p += 4) {
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      const a0 = Linv[b0 + i];
      const a1 = Linv[b1 + i];
      const a2 = Linv[b2 + i];
      const a3 = Linv[b3 + i];
      const end = p + 4;
      for (let j = i; j < end; j++)
        out[ci + j] += a0 * Linv[b0 + j] + a1 * Linv[b1 + j] + a2 * Linv[b2 + j] + a3 * Linv[b3 + j];
    }
    for (; p < n; p++) {
      const a = Linv[p * n + i];
      const bp = p * n;
      for (let j = i; j <= p; j++) out[ci + j] += a * Linv[bp + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[i * n + j] = out[j * n + i];
  return out;
}

/** log det A = 2 sum log L_ii from the Cholesky factor L of A. */
export function logDetFromCholesky(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]);
  return 2 * s;
}

/** C = A B with A: r x k and B: k x c (i-k-j loop order, four rows of B per pass). */
export function matmul(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const ci = i * c;
    const ai = i * k;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const a0 = A[ai + p];
      const a1 = A[ai + p + 1];
      const a2 = A[ai + p + 2];
      const a3 = A[ai + p + 3];
      const b0 = p * c;
      const b1 = b0 + c;
      const b2 = b1 + c;
      const b3 = b2 + c;
      for (let j = 0; j < c; j++)
        C[ci + j] += a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
    }
    for (; p < k; p++) {
      const a = A[ai + p];
      const bp = p * c;
      for (let j = 0; j < c; j++) C[ci + j] += a * B[bp + j];
    }
  }
  return C;
}

/** A^T for A: r x c (returns c x r). */
export function transpose(A: Float64Array, r: number, c: number): Float64Array {
  const T = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) T[j * r + i] = A[i * c + j];
  return T;
}

/** y = A x with A: r x c. */
export function matvec(A: Float64Array, x: ArrayLike<number>, r: number, c: number): Float64Array {
  const y = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    let s = 0;
    const ai = i * c;
    for (let j = 0; j < c; j++) s += A[ai + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** sum_ij A_ij B_ij = tr(A^T B) for two matrices of equal size. */
export function frobeniusDot(A: Float64Array, B: Float64Array): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i] * B[i];
  return s;
}

/** Pack rows (number[][]) of equal length into a row-major Float64Array. */
export function toMatrix(rows: readonly (readonly number[])[], cols: number): Float64Array {
  const out = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let j = 0; j < cols; j++) out[i * cols + j] = r[j];
  }
  return out;
}

/** Unpack a row-major (r x c) Float64Array into number[][]. */
export function toRows(A: Float64Array, r: number, c: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < r; i++) out.push(Array.from(A.subarray(i * c, i * c + c)));
  return out;
}

/**
 * Eigendecomposition of a symmetric matrix A (n x n) by cyclic Jacobi rotations:
 * A = V diag(values) V^T, V's columns the eigenvectors (row-major n x n). Meant for small n (CMA-ES).
 */
export function symmetricEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = new Float64Array(A);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = a[i * n + j] * a[i * n + j];
        total += v;
        if (i !== j) off += v;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: V };
}
