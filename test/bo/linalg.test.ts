import { describe, expect, it } from "vitest";
import {
  cholesky,
  choleskyInverse,
  choleskySolve,
  logDetFromCholesky,
  matmul,
  solveLowerInPlace,
  symmetricEigen,
  transpose,
} from "../../src/bo/linalg.js";
import { Rng } from "../../src/util/rng.js";

function randomSpd(n: number, seed: number, ridge = 0.1): Float64Array {
  const rng = new Rng(seed);
  const G = Float64Array.from({ length: n * n }, () => rng.normal());
  const A = matmul(G, transpose(G, n, n), n, n, n);
  for (let i = 0; i < n; i++) A[i * n + i] += ridge;
  return A;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("linalg", () => {
  it("matmul matches the naive triple loop on odd shapes", () => {
    const rng = new Rng(1);
    const [r, k, c] = [7, 9, 5];
    const A = Float64Array.from({ length: r * k }, () => rng.normal());
    const B = Float64Array.from({ length: k * c }, () => rng.normal());
    const C = matmul(A, B, r, k, c);
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * c + j];
        expect(C[i * c + j]).toBeCloseTo(s, 12);
      }
  });

  it("Cholesky reconstructs A, solves, inverts and gives log det", () => {
    const n = 12;
    const A = randomSpd(n, 2);
    const { L, jitter } = cholesky(A, n);
    expect(jitter).toBe(0);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L[i * n + j]).toBe(0);
    expect(maxAbsDiff(matmul(L, transpose(L, n, n), n, n, n), A)).toBeLessThan(1e-10);
    const b = Float64Array.from({ length: n * 2 }, (_, i) => Math.sin(i));
    const x = choleskySolve(L, n, b, 2);
    expect(maxAbsDiff(matmul(A, x, n, n, 2), b)).toBeLessThan(1e-9);
    const inv = choleskyInverse(L, n);
    const I = matmul(A, inv, n, n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(I[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 8);
    // log det = sum of log eigenvalues
    const { values } = symmetricEigen(A, n);
    expect(logDetFromCholesky(L, n)).toBeCloseTo(
      values.reduce((s, v) => s + Math.log(v), 0),
      9,
    );
  });

  it("choleskyInverse equals L^-T L^-1 by full solve and matmul bit for bit, and is symmetric", () => {
    for (const n of [1, 2, 3, 5, 8, 13, 40]) {
      const A = randomSpd(n, 10 + n);
      const { L } = cholesky(A, n);
      // exercise the skipped zeros inside L too
      if (n === 13) for (let i = 0; i < n; i++) for (let k = 0; k < i; k += 3) L[i * n + k] = 0;
      const Linv = new Float64Array(n * n);
      for (let i = 0; i < n; i++) Linv[i * n + i] = 1;
      solveLowerInPlace(L, n, Linv, n);
      const full = matmul(transpose(Linv, n, n), Linv, n, n, n);
      const inv = choleskyInverse(L, n);
      expect(Array.from(inv)).toEqual(Array.from(full));
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(inv[i * n + j]).toBe(inv[j * n + i]);
    }
  });

  it("adds adaptive jitter to a singular PSD matrix and refuses an indefinite one", () => {
    // rank-1 PSD matrix: v v^T
    const n = 5;
    const v = [1, 2, 3, 4, 5];
    const A = Float64Array.from({ length: n * n }, (_, k) => v[Math.floor(k / n)] * v[k % n]);
    const { L, jitter } = cholesky(A, n);
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(1e-3);
    const back = matmul(L, transpose(L, n, n), n, n, n);
    for (let i = 0; i < n; i++) expect(back[i * n + i]).toBeCloseTo(A[i * n + i] + jitter, 9);
    const indefinite = Float64Array.from([1, 0, 0, -1]);
    expect(() => cholesky(indefinite, 2)).toThrow(/not positive definite/);
  });

  it("symmetricEigen gives A V = V diag(values)", () => {
    const n = 10;
    const A = randomSpd(n, 4);
    const { values, vectors } = symmetricEigen(A, n);
    const AV = matmul(A, vectors, n, n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(AV[i * n + j]).toBeCloseTo(vectors[i * n + j] * values[j], 9);
    const VtV = matmul(transpose(vectors, n, n), vectors, n, n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(VtV[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  });
});
