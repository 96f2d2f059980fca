import { describe, expect, it } from "vitest";
import {
  fitHyperparameters,
  fromRaw,
  inverseSoftplus,
  negMllRaw,
  softplus,
  toRaw,
} from "../../src/bo/fit.js";
import { GpPosterior, type GpTrainingData } from "../../src/bo/gp.js";
import { toMatrix } from "../../src/bo/linalg.js";
import { marginalLogLikelihood, REFERENCE_PRIORS } from "../../src/bo/mll.js";
import { standardize } from "../../src/bo/propose.js";
import { sobolPoints } from "../../src/bo/sobol.js";

function dataset(n: number, d: number, withScores: boolean): GpTrainingData {
  const pts = sobolPoints(n, d, 5);
  const raw = pts.map((p) => Math.sin(2 * p[0]) + 0.5 * p[1] * p[1]);
  const data: GpTrainingData = { X: toMatrix(pts, d), y: standardize(raw), n, d };
  if (withScores) {
    const D = 6;
    data.scores = toMatrix(
      pts.map((p) =>
        Array.from({ length: D }, (_, j) => (Math.sin(2 * p[0]) + 0.5 * p[1] * p[1] > j / 3 - 1 ? 1 : 0)),
      ),
      D,
    );
    data.D = D;
  }
  return data;
}

describe("hyperparameter fit", () => {
  it("softplus transforms round-trip", () => {
    for (const v of [1e-6, 0.01, 0.5, 3, 40]) expect(softplus(inverseSoftplus(v))).toBeCloseTo(v, 10);
    const h = {
      kernel: "coupled" as const,
      lengthscales: [0.2, 1.5],
      scoreLengthscales: [0.7],
      outputscale: 2,
      noise: 0.01,
      mean: -0.3,
    };
    const back = fromRaw(toRaw(h), "coupled", 2, 1);
    expect(back.lengthscales[1]).toBeCloseTo(1.5, 12);
    expect(back.scoreLengthscales![0]).toBeCloseTo(0.7, 12);
    expect(back.noise).toBeCloseTo(0.01, 12);
  });

  it("raw-space gradient agrees with central differences", () => {
    for (const withScores of [false, true]) {
      const data = dataset(14, 3, withScores);
      const kernel = withScores ? "coupled" : "matern";
      const f = negMllRaw(data, kernel, REFERENCE_PRIORS);
      const x0 = Float64Array.from({ length: 3 + (withScores ? 6 : 0) + 3 }, (_, i) => 0.3 * Math.sin(i + 1));
      const g = f(x0).grad;
      for (let i = 0; i < x0.length; i++) {
        const h = 1e-5;
        const xp = Float64Array.from(x0);
        const xm = Float64Array.from(x0);
        xp[i] += h;
        xm[i] -= h;
        const fd = (f(xp).value - f(xm).value) / (2 * h);
        expect(Math.abs(g[i] - fd), `${kernel} param ${i}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  for (const kernel of ["matern", "coupled"] as const) {
    it(`${kernel}: MAP fit reaches a stationary point better than the default init`, () => {
      const data = dataset(20, 3, kernel === "coupled");
      const fit = fitHyperparameters(data, { seed: 1, kernel });
      const h = fit.hyperparameters;
      expect(h.noise).toBeGreaterThanOrEqual(1e-4);
      const init = marginalLogLikelihood(
        data,
        fromRaw(new Float64Array(toRaw(h).length), kernel, 3, data.D ?? 0),
      );
      const at = marginalLogLikelihood(data, h);
      expect(at.value).toBeCloseTo(fit.mll, 12);
      expect(at.value).toBeGreaterThan(init.value);
      const g = negMllRaw(data, kernel, REFERENCE_PRIORS)(toRaw(h)).grad;
      for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-3);
      // the posterior explains the data (the coupled kernel only through coarse score vectors)
      const pred = new GpPosterior(data, h).predict(data.X, data.n);
      let sse = 0;
      for (let i = 0; i < data.n; i++) sse += (pred.mean[i] - data.y[i]) ** 2;
      const r2 = 1 - sse / (data.n - 1); // y is standardised: total sum of squares n - 1
      expect(r2).toBeGreaterThan(kernel === "matern" ? 0.99 : 0.8);
      // a warm start from the optimum stays there, deterministically
      const warm = fitHyperparameters(data, { seed: 9, kernel, warmStart: h });
      expect(warm.mll).toBeGreaterThanOrEqual(fit.mll - 1e-9);
      expect(fitHyperparameters(data, { seed: 9, kernel, warmStart: h })).toEqual(warm);
    });
  }
});
