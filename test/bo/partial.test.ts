import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type GpHyperparameters, GpPosterior, type GpTrainingData } from "../../src/bo/gp.js";
import { coupledPieces, matern52 } from "../../src/bo/kernels.js";
import { toMatrix } from "../../src/bo/linalg.js";
import { marginalLogLikelihood } from "../../src/bo/mll.js";
import { completeScoreVectors } from "../../src/bo/partial.js";
import { propose } from "../../src/bo/propose.js";
import { sobolPoints } from "../../src/bo/sobol.js";
import { UserError } from "../../src/util/errors.js";

/** A case of the numpy oracle for partially observed points (scripts/oracles/bo_oracle.py, "partial"). */
interface PartialCase {
  name: string;
  hyper: GpHyperparameters;
  X: number[][];
  y: number[];
  Xs: number[][];
  /** Completed score vectors (oracle's imputation). */
  scores?: number[][];
  /** The raw prefix vectors (coupled case). */
  prefixes?: number[][];
  noiseScale: number[];
  kernelTrain: number[][];
  mean: number[];
  variance: number[];
  mll: number;
  mllGrad: number[];
}
const oracle: { partial: PartialCase[] } = JSON.parse(
  readFileSync(new URL("../fixtures/bo/oracle.json", import.meta.url), "utf8"),
);

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-8): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    expect(
      Math.abs(actual[i] - expected[i]) / scale,
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    ).toBeLessThan(tol);
  }
}

/** Training data built the way propose() builds it: prefixes completed, noise from their lengths. */
function dataOf(c: PartialCase): GpTrainingData {
  const n = c.X.length;
  const d = c.X[0].length;
  const data: GpTrainingData = { X: toMatrix(c.X, d), y: Float64Array.from(c.y), n, d };
  if (c.prefixes) {
    const done = completeScoreVectors(c.prefixes);
    data.scores = done.scores;
    data.D = done.D;
    data.noiseScale = done.noiseScale;
  } else data.noiseScale = Float64Array.from(c.noiseScale);
  return data;
}

describe("partially observed points against the numpy oracle (1e-8)", () => {
  it("has a coupled case with prefixes and a Matern case with noise multipliers", () => {
    expect(oracle.partial.map((c) => c.hyper.kernel).sort()).toEqual(["coupled", "matern"]);
    const coupled = oracle.partial.find((c) => c.prefixes)!;
    expect(new Set(coupled.prefixes!.map((p) => p.length)).size).toBeGreaterThan(1);
  });

  for (const c of oracle.partial) {
    describe(c.name, () => {
      const data = dataOf(c);
      const m = c.Xs.length;
      const Xs = toMatrix(c.Xs, data.d);

      if (c.prefixes) {
        it("imputes missing entries by the vector's mean and scales noise by D / observed", () => {
          const done = completeScoreVectors(c.prefixes!);
          expectClose(done.scores, c.scores!.flat(), 1e-15);
          expectClose(done.noiseScale, c.noiseScale, 1e-15);
          expect(done.partial).toBe(c.prefixes!.filter((p) => p.length < done.D).length);
          const h = c.hyper;
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
        });
      } else {
        it("kernel matrix", () => {
          expectClose(
            matern52(data.X, data.X, data.n, data.n, data.d, c.hyper.lengthscales),
            c.kernelTrain.flat(),
          );
        });
      }

      it("posterior mean and variance with per-observation noise", () => {
        const pred = new GpPosterior(data, c.hyper).predict(Xs, m);
        expectClose(pred.mean, c.mean);
        expectClose(pred.variance, c.variance);
      });

      it("MLL with priors and its analytic gradient (noise gradient weighted by the multipliers)", () => {
        const r = marginalLogLikelihood(data, c.hyper);
        expectClose([r.value], [c.mll]);
        const g = r.grad!;
        expectClose(
          [...g.lengthscales, ...(g.scoreLengthscales ?? []), g.outputscale, g.noise, g.mean],
          c.mllGrad,
        );
      });
    });
  }

  it("noise multipliers of 1 change nothing", () => {
    const c = oracle.partial.find((x) => x.hyper.kernel === "matern")!;
    const data = dataOf(c);
    const ones = { ...data, noiseScale: new Float64Array(data.n).fill(1) };
    const plain = { ...data, noiseScale: undefined };
    expect(marginalLogLikelihood(ones, c.hyper).value).toBe(marginalLogLikelihood(plain, c.hyper).value);
  });
});

describe("propose() with partially scored points", () => {
  const d = 4;
  const D = 10;
  const points = sobolPoints(16, d, 3, [-1, 1]);
  const full: number[][] = points.map((p) =>
    Array.from({ length: D }, (_, j) => (p[0] + 0.1 * j > 0.2 ? 1 : 0)),
  );

  it("accepts prefix score vectors (the longest sets D) and is deterministic", () => {
    const scoreVectors = full.map((v, i) => (i % 3 === 1 ? v.slice(0, 5) : v));
    const values = scoreVectors.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
    const a = propose({ points, values, scoreVectors }, 3, { seed: 7, kernel: "coupled" });
    const b = propose({ points, values, scoreVectors }, 3, { seed: 7, kernel: "coupled" });
    expect(a.points).toEqual(b.points);
    expect(a.points).toHaveLength(3);
    expect(a.hyperparameters.scoreLengthscales).toHaveLength(D);
  });

  it("treats a prefix as a noisier observation: the same as passing its completion and the noise multipliers", () => {
    const scoreVectors = full.map((v, i) => (i % 4 === 2 ? v.slice(0, 2) : v));
    const values = scoreVectors.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
    const done = completeScoreVectors(scoreVectors);
    const completed = Array.from({ length: points.length }, (_, i) =>
      Array.from(done.scores.subarray(i * D, i * D + D)),
    );
    const opts = { seed: 2, kernel: "coupled" as const };
    const viaPrefixes = propose({ points, values, scoreVectors }, 2, opts);
    const explicit = propose(
      { points, values, scoreVectors: completed, noiseScale: Array.from(done.noiseScale) },
      2,
      opts,
    );
    expect(viaPrefixes.points).toEqual(explicit.points);
    // without the noise multipliers the model differs
    const noNoise = propose({ points, values, scoreVectors: completed }, 2, opts);
    expect(noNoise.hyperparameters).not.toEqual(viaPrefixes.hyperparameters);
  });

  it("rejects empty score vectors and bad noise multipliers, naming the field", () => {
    const values = full.map(() => 0.5);
    const scoreVectors = full.map((v, i) => (i === 3 ? [] : v));
    expect(() => propose({ points, values, scoreVectors }, 2, { seed: 1, kernel: "coupled" })).toThrow(
      /scoreVectors\[3\] is empty/,
    );
    expect(() => propose({ points, values, noiseScale: values.map(() => 0.5) }, 2, { seed: 1 })).toThrow(
      UserError,
    );
    expect(() => propose({ points, values, noiseScale: [1] }, 2, { seed: 1 })).toThrow(/noiseScale/);
  });
});
