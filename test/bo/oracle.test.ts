import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectedImprovement, logExpectedImprovement } from "../../src/bo/acquisition.js";
import { type GpHyperparameters, GpPosterior, type GpTrainingData } from "../../src/bo/gp.js";
import { coupledPieces, matern52 } from "../../src/bo/kernels.js";
import { toMatrix } from "../../src/bo/linalg.js";
import { marginalLogLikelihood } from "../../src/bo/mll.js";

interface OracleCase {
  name: string;
  hyper: GpHyperparameters;
  X: number[][];
  y: number[];
  Xs: number[][];
  scores?: number[][];
  kernelTrain: number[][];
  kernelCross: number[][];
  mean: number[];
  variance: number[];
  mll: number;
  mllGrad: number[];
}
interface OracleEi {
  mean: number;
  variance: number;
  best: number;
  ei: number;
  logEi: number;
}
const oracle: { cases: OracleCase[]; ei: OracleEi[] } = JSON.parse(
  readFileSync(new URL("../fixtures/bo/oracle.json", import.meta.url), "utf8"),
);

const TOL = 1e-8;

function expectClose(actual: ArrayLike<number>, expected: number[], tol = TOL): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(
      Math.abs(actual[i] - expected[i]) / scale,
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    ).toBeLessThan(tol);
  }
}

function dataOf(c: OracleCase): GpTrainingData {
  const n = c.X.length;
  const d = c.X[0].length;
  const D = c.scores?.[0].length;
  return {
    X: toMatrix(c.X, d),
    y: Float64Array.from(c.y),
    n,
    d,
    scores: c.scores && D ? toMatrix(c.scores, D) : undefined,
    D,
  };
}

describe("GP pieces agree with the numpy/scipy oracle (1e-8)", () => {
  it("has both kernels in the oracle", () => {
    expect(oracle.cases.map((c) => c.hyper.kernel).sort()).toEqual(["coupled", "matern"]);
  });

  for (const c of oracle.cases) {
    describe(c.name, () => {
      const data = dataOf(c);
      const m = c.Xs.length;
      const Xs = toMatrix(c.Xs, data.d);

      it("kernel matrices", () => {
        const h = c.hyper;
        if (h.kernel === "matern") {
          expectClose(matern52(data.X, data.X, data.n, data.n, data.d, h.lengthscales), c.kernelTrain.flat());
          expectClose(matern52(Xs, data.X, m, data.n, data.d, h.lengthscales), c.kernelCross.flat());
        } else {
          const p = coupledPieces(
            data.X,
            data.scores!,
            data.n,
            data.d,
            data.D!,
            h.lengthscales,
            h.scoreLengthscales!,
          );
          expectClose(p.Kc, c.kernelTrain.flat());
          // K(x, z_i) = k(x, Z) A k(Z, z_i)
          const phi = matern52(Xs, data.X, m, data.n, data.d, h.lengthscales);
          const cross = new Float64Array(m * data.n);
          for (let a = 0; a < m; a++)
            for (let i = 0; i < data.n; i++) {
              let s = 0;
              for (let j = 0; j < data.n; j++)
                for (let k = 0; k < data.n; k++)
                  s += phi[a * data.n + j] * p.A[j * data.n + k] * p.Kzz[k * data.n + i];
              cross[a * data.n + i] = s;
            }
          expectClose(cross, c.kernelCross.flat());
        }
      });

      it("posterior mean and variance", () => {
        const post = new GpPosterior(data, c.hyper);
        const pred = post.predict(Xs, m);
        expectClose(pred.mean, c.mean);
        expectClose(pred.variance, c.variance);
      });

      it("MLL with priors and its analytic gradient", () => {
        const r = marginalLogLikelihood(data, c.hyper);
        expectClose([r.value], [c.mll]);
        const g = r.grad!;
        const flat = [...g.lengthscales, ...(g.scoreLengthscales ?? []), g.outputscale, g.noise, g.mean];
        expectClose(flat, c.mllGrad);
      });
    });
  }
});

describe("Expected Improvement", () => {
  it("matches BoTorch's unit test value", () => {
    expect(expectedImprovement(-0.5, 1, 0)).toBeCloseTo(0.19779655740130603, 15);
  });

  it("EI and log-EI match 50-digit mpmath values, deep into the left tail", () => {
    for (const e of oracle.ei) {
      const ei = expectedImprovement(e.mean, e.variance, e.best);
      if (e.ei > 1e-300) expect(Math.abs(ei - e.ei) / e.ei, `EI at ${e.mean}`).toBeLessThan(1e-8);
      const lei = logExpectedImprovement(e.mean, e.variance, e.best);
      expect(Math.abs(lei - e.logEi) / Math.max(1, Math.abs(e.logEi)), `logEI at ${e.mean}`).toBeLessThan(
        1e-10,
      );
    }
    // The naive formula has underflowed where log-EI is still finite and ordered.
    expect(expectedImprovement(-40, 1, 0)).toBe(0);
    expect(logExpectedImprovement(-40, 1, 0)).toBeGreaterThan(logExpectedImprovement(-41, 1, 0));
  });

  it("log-EI is smooth and increasing in the mean across the branch points", () => {
    let prev = Number.NEGATIVE_INFINITY;
    for (let z = -1e5; z < 5; z = z < -10 ? z / 1.3 : z + 0.01) {
      const v = logExpectedImprovement(z, 1, 0);
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
  });
});
