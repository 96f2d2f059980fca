import { describe, expect, it } from "vitest";
import { type GpHyperparameters, GpPosterior, type GpTrainingData } from "../../src/bo/gp.js";
import { toMatrix } from "../../src/bo/linalg.js";
import { logNormCdf, normCdf } from "../../src/bo/normal.js";
import { LocalPenalizer } from "../../src/bo/penalization.js";
import { sobolPoints } from "../../src/bo/sobol.js";

const d = 3;

function posterior(kernel: "matern" | "coupled"): GpPosterior {
  const pts = sobolPoints(12, d, 4);
  const y = Float64Array.from(pts, (p) => Math.sin(2 * p[0]) + p[1] * p[2] - 0.5 * p[2] ** 2);
  const data: GpTrainingData = { X: toMatrix(pts, d), y, n: pts.length, d };
  const hyper: GpHyperparameters = {
    kernel,
    lengthscales: [0.6, 0.9, 0.4],
    outputscale: 1.3,
    noise: 1e-3,
    mean: 0.1,
  };
  if (kernel === "coupled") {
    const scores = pts.map((p) => [p[0] > 0 ? 1 : 0, p[1] > 0.2 ? 1 : 0, Math.abs(p[2])]);
    data.scores = toMatrix(scores, 3);
    data.D = 3;
    hyper.scoreLengthscales = [0.7, 0.7, 0.7];
  }
  return new GpPosterior(data, hyper);
}

describe("logNormCdf", () => {
  it("matches scipy.special.log_ndtr, deep into the left tail", () => {
    const cases: [number, number][] = [
      [-40, -804.6084420137539],
      [-5, -15.064998393988727],
      [0, -Math.LN2],
      [2, -0.023012909328963476],
    ];
    for (const [z, v] of cases) expect(Math.abs(logNormCdf(z) - v) / Math.abs(v)).toBeLessThan(1e-13);
    for (const z of [-3, -1.5, -0.2, 0.7, 4]) expect(logNormCdf(z)).toBeCloseTo(Math.log(normCdf(z)), 12);
    expect(logNormCdf(40) === 0).toBe(true);
    expect(Number.isFinite(logNormCdf(-1e6))).toBe(true);
  });
});

describe("GpPosterior.meanGradients", () => {
  for (const kernel of ["matern", "coupled"] as const) {
    it(`${kernel}: agrees with central differences of the posterior mean`, () => {
      const post = posterior(kernel);
      const xs = sobolPoints(5, d, 9);
      const g = post.meanGradients(toMatrix(xs, d), xs.length);
      const h = 1e-6;
      xs.forEach((x, a) => {
        for (let j = 0; j < d; j++) {
          const up = x.slice();
          const dn = x.slice();
          up[j] += h;
          dn[j] -= h;
          const fd =
            (post.predict(Float64Array.from(up), 1).mean[0] -
              post.predict(Float64Array.from(dn), 1).mean[0]) /
            (2 * h);
          expect(Math.abs(g[a * d + j] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        }
      });
    });
  }
});

describe("LocalPenalizer", () => {
  const post = posterior("matern");
  const samples = sobolPoints(64, d, 5);
  const best = 1.2;

  it("estimates L as the largest mean-gradient norm in lengthscale units over the samples", () => {
    const pen = new LocalPenalizer(post, best, toMatrix(samples, d), samples.length);
    const g = post.meanGradients(toMatrix(samples, d), samples.length);
    const ls = post.hyper.lengthscales;
    let lip = 0;
    for (let a = 0; a < samples.length; a++) {
      lip = Math.max(lip, Math.hypot(...Array.from({ length: d }, (_, j) => g[a * d + j] * ls[j])));
    }
    expect(pen.lipschitz).toBeGreaterThan(0);
    expect(pen.lipschitz).toBe(lip);
  });

  it("is 0 without pending points; at a pending point log Phi((mu - M) / sigma); rises to 0 with distance", () => {
    const pen = new LocalPenalizer(post, best, toMatrix(samples, d), samples.length);
    const X = toMatrix(samples.slice(0, 7), d);
    expect(Array.from(pen.logPenalty(X, 7))).toEqual(new Array(7).fill(0));
    const xj = [0.2, -0.1, 0.3];
    pen.add(xj);
    expect(pen.size).toBe(1);
    const p = post.predict(Float64Array.from(xj), 1);
    const atPoint = pen.logPenalty(Float64Array.from(xj), 1)[0];
    expect(atPoint).toBeCloseTo(logNormCdf((p.mean[0] - best) / Math.sqrt(p.variance[0])), 12);
    expect(atPoint).toBeLessThan(0);
    // moving away along a direction: penalty increases monotonically towards 0
    const line = Array.from({ length: 40 }, (_, k) => [xj[0] + 0.1 * k, xj[1] - 0.08 * k, xj[2]]);
    const vals = pen.logPenalty(toMatrix(line, d), line.length);
    for (let k = 1; k < vals.length; k++) expect(vals[k]).toBeGreaterThanOrEqual(vals[k - 1]);
    for (const v of vals) expect(v).toBeLessThanOrEqual(0);
    expect(vals[39]).toBeGreaterThan(-1e-6);
    // penalties of several pending points add up
    const xk = [-0.5, 0.5, -0.2];
    const before = pen.logPenalty(toMatrix(line, d), line.length);
    const only = new LocalPenalizer(post, best, toMatrix(samples, d), samples.length);
    only.add(xk);
    const second = only.logPenalty(toMatrix(line, d), line.length);
    pen.add(xk);
    const both = pen.logPenalty(toMatrix(line, d), line.length);
    for (let k = 0; k < line.length; k++) expect(both[k]).toBeCloseTo(before[k] + second[k], 12);
  });

  it("excludes a wider ball around a poor pending point than around a promising one", () => {
    const pen = new LocalPenalizer(post, best, toMatrix(samples, d), samples.length);
    // the sample with the highest and the lowest posterior mean
    const pred = post.predict(toMatrix(samples, d), samples.length);
    let hi = 0;
    let lo = 0;
    for (let a = 1; a < samples.length; a++) {
      if (pred.mean[a] > pred.mean[hi]) hi = a;
      if (pred.mean[a] < pred.mean[lo]) lo = a;
    }
    const good = new LocalPenalizer(post, best, toMatrix(samples, d), samples.length);
    good.add(samples[hi]);
    const poor = new LocalPenalizer(post, best, toMatrix(samples, d), samples.length);
    poor.add(samples[lo]);
    expect(pen.size).toBe(0);
    // at the same offset from the pending point, the poor one's penalty is the stronger
    const offset = [0.1, 0.1, 0.1];
    const near = (x: number[]) => Float64Array.from(x, (v, j) => v + offset[j]);
    expect(poor.logPenalty(near(samples[lo]), 1)[0]).toBeLessThan(good.logPenalty(near(samples[hi]), 1)[0]);
  });
});
