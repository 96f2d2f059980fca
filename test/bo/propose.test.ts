import { describe, expect, it } from "vitest";
import { logEiOf } from "../../src/bo/acquisition.js";
import {
  type BoHistory,
  FantasyPosterior,
  type GpHyperparameters,
  GpPosterior,
  propose,
  sobolPoints,
  standardize,
} from "../../src/bo/index.js";
import { toMatrix } from "../../src/bo/linalg.js";
import { UserError } from "../../src/util/errors.js";

const d = 4;
const target = [0.3, -0.2, 0.5, 0.1];
const f = (x: number[]) => -x.reduce((s, v, i) => s + (v - target[i]) ** 2, 0);

function history(n: number, seed = 1, withScores = false): BoHistory {
  const points = sobolPoints(n, d, seed);
  const values = points.map(f);
  const h: BoHistory = { points, values };
  if (withScores) {
    // 8 per-example 0/1 scores: example j passes when the point is close enough to the target
    h.scoreVectors = points.map((p) => Array.from({ length: 8 }, (_, j) => (f(p) > -0.3 - 0.15 * j ? 1 : 0)));
    h.values = h.scoreVectors.map((s) => s.reduce((a, b) => a + b, 0) / s.length);
  }
  return h;
}

function minPairDistance(a: number[][], b: number[][] = a): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) {
      if (a === b && j <= i) continue;
      m = Math.min(m, Math.sqrt(a[i].reduce((s, v, k) => s + (v - b[j][k]) ** 2, 0)));
    }
  return m;
}

describe("propose", () => {
  it("is deterministic bit for bit (both modes, both kernels) and depends on the seed", () => {
    for (const withScores of [false, true]) {
      const h = history(16, 1, withScores);
      for (const [batchMode, distinctStrategy] of [
        ["reference", undefined],
        ["distinct", "penalize"],
        ["distinct", "dedupe"],
        ["distinct", "greedy"],
      ] as const) {
        const a = propose(h, 5, { seed: 42, batchMode, distinctStrategy });
        const b = propose(h, 5, { seed: 42, batchMode, distinctStrategy });
        expect(b).toEqual(a);
        expect(a.hyperparameters.kernel).toBe(withScores ? "coupled" : "matern");
        expect(propose(h, 5, { seed: 43, batchMode, distinctStrategy }).points).not.toEqual(a.points);
      }
    }
  });

  it("returns q points in the box, reference batch sorted by EI", () => {
    const h = history(20);
    const p = propose(h, 6, { seed: 1 });
    expect(p.points).toHaveLength(6);
    for (const x of p.points) {
      expect(x).toHaveLength(d);
      for (const v of x) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    for (let i = 1; i < 6; i++) expect(p.acquisition[i]).toBeLessThanOrEqual(p.acquisition[i - 1]);
    for (let i = 0; i < 6; i++) expect(p.logAcquisition[i]).toBeCloseTo(Math.log(p.acquisition[i]), 10);
  });

  it("hyperparameters survive JSON and give the same warm-started step (both modes)", () => {
    for (const batchMode of ["reference", "distinct"] as const) {
      const h = history(20);
      const p = propose(h, 3, { seed: 1, batchMode });
      const stored: GpHyperparameters = JSON.parse(JSON.stringify(p.hyperparameters));
      expect(stored).toEqual(p.hyperparameters);
      // a resumed run reads its history back from JSON too
      const h2 = history(24);
      const h2json: BoHistory = JSON.parse(JSON.stringify(h2));
      const a = propose(h2, 5, { seed: 2, batchMode, warmStart: p.hyperparameters });
      const b = propose(h2json, 5, { seed: 2, batchMode, warmStart: stored });
      expect(b).toEqual(a);
    }
  });

  it("distinct: no two proposals, nor a proposal and an evaluated point, within minDistance (all strategies)", () => {
    const h = history(12);
    const minDistance = 0.15;
    const ref = propose(h, 10, { seed: 3, batchMode: "reference" });
    // the reference batch wastes points: several CMA-ES runs end at (nearly) the same maximiser
    expect(minPairDistance(ref.points)).toBeLessThan(minDistance);
    for (const distinctStrategy of ["penalize", "dedupe", "greedy"] as const) {
      const p = propose(h, 10, { seed: 3, batchMode: "distinct", minDistance, distinctStrategy });
      expect(p.points).toHaveLength(10);
      expect(minPairDistance(p.points)).toBeGreaterThanOrEqual(minDistance);
      expect(minPairDistance(p.points, h.points)).toBeGreaterThanOrEqual(minDistance);
      // the first pick is still a high-EI point
      expect(p.logAcquisition[0]).toBeGreaterThan(ref.logAcquisition[0] - 1);
    }
  });

  it("distinct penalize (default with Matern): default minDistance holds, batch spread in lengthscale units, EI reported", () => {
    const h = history(20);
    const q = 10;
    const ref = propose(h, q, { seed: 7, batchMode: "reference" });
    const p = propose(h, q, { seed: 7, batchMode: "distinct" });
    expect(propose(h, q, { seed: 7, batchMode: "distinct", distinctStrategy: "penalize" })).toEqual(p);
    expect(p.hyperparameters).toEqual(ref.hyperparameters);
    expect(p.points).toHaveLength(q);
    for (const x of p.points) for (const v of x) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const minDistance = 0.001 * 2 * Math.sqrt(d);
    expect(minPairDistance(p.points)).toBeGreaterThanOrEqual(minDistance);
    expect(minPairDistance(p.points, h.points)).toBeGreaterThanOrEqual(minDistance);
    // In lengthscale units the reference batch has points on the same EI peak; the penalised one does not.
    const ls = ref.hyperparameters.lengthscales;
    const scaled = (pts: number[][]) => pts.map((x) => x.map((v, j) => v / ls[j]));
    // (here: 0.12 vs 0.78 lengthscales)
    expect(minPairDistance(scaled(ref.points))).toBeLessThan(0.2);
    expect(minPairDistance(scaled(p.points))).toBeGreaterThan(0.5);
    // the first pick refines the best pool point (no penalty yet): at least the reference's best EI
    expect(p.logAcquisition[0]).toBeGreaterThanOrEqual(ref.logAcquisition[0]);
    // logAcquisition is the plain log EI under the GP (not the penalised value)
    const y = standardize(h.values);
    const post = new GpPosterior({ X: toMatrix(h.points, d), y, n: h.points.length, d }, p.hyperparameters);
    const logEi = logEiOf(post.predict(toMatrix(p.points, d), q), Math.max(...y));
    for (let i = 0; i < q; i++) {
      expect(p.logAcquisition[i]).toBeCloseTo(logEi[i], 10);
      expect(p.acquisition[i]).toBeCloseTo(Math.exp(p.logAcquisition[i]), 12);
    }
  });

  it("distinct with the coupled kernel defaults to dedupe", () => {
    const h = history(16, 1, true);
    const p = propose(h, 6, { seed: 4, batchMode: "distinct" });
    expect(p.hyperparameters.kernel).toBe("coupled");
    expect(propose(h, 6, { seed: 4, batchMode: "distinct", distinctStrategy: "dedupe" })).toEqual(p);
    const pen = propose(h, 6, { seed: 4, batchMode: "distinct", distinctStrategy: "penalize" });
    expect(pen.points).not.toEqual(p.points);
    for (const b of [p, pen]) {
      expect(minPairDistance(b.points)).toBeGreaterThanOrEqual(0.001 * 2 * Math.sqrt(d));
      expect(minPairDistance(b.points, h.points)).toBeGreaterThanOrEqual(0.001 * 2 * Math.sqrt(d));
    }
  });

  it("distinct dedupe keeps the reference batch when it is already distinct", () => {
    const h = history(12);
    const ref = propose(h, 3, { seed: 5, batchMode: "reference", numStarts: 3 });
    expect(minPairDistance(ref.points)).toBeGreaterThan(1e-6);
    const p = propose(h, 3, {
      seed: 5,
      batchMode: "distinct",
      distinctStrategy: "dedupe",
      numStarts: 3,
      minDistance: 1e-6,
    });
    expect(p.points).toEqual(ref.points);
  });

  it("distinct still fills the batch when the box is crowded (fallback points)", () => {
    const h: BoHistory = { points: [[-0.5], [0], [0.5]], values: [0.1, 0.5, 0.2] };
    const p = propose(h, 3, { seed: 1, batchMode: "distinct", minDistance: 0.2 });
    expect(p.points).toHaveLength(3);
    expect(minPairDistance(p.points)).toBeGreaterThanOrEqual(0.2);
    expect(minPairDistance(p.points, h.points)).toBeGreaterThanOrEqual(0.2);
  });

  it("sequential steps close in on the optimum of a smooth function", () => {
    const h = history(8);
    let warm: GpHyperparameters | undefined;
    for (let step = 0; step < 10; step++) {
      const p = propose(h, 1, { seed: step, numStarts: 4, warmStart: warm });
      warm = p.hyperparameters;
      h.points.push(p.points[0]);
      h.values.push(f(p.points[0]));
    }
    expect(Math.max(...h.values.slice(0, 8))).toBeLessThan(-0.05);
    expect(Math.max(...h.values)).toBeGreaterThan(-0.01);
  });

  it("copes with degenerate histories: equal values, repeated points, repeated score vectors", () => {
    const pts = sobolPoints(10, d, 2);
    const points = [...pts, pts[0], pts[0], pts[3]];
    const scoreVectors = points.map((_, i) => [i % 2, 0, 1, i % 3 === 0 ? 1 : 0]);
    for (const batchMode of ["reference", "distinct"] as const) {
      const flat = propose({ points, values: points.map(() => 0.5), scoreVectors }, 4, {
        seed: 1,
        batchMode,
      });
      expect(flat.points).toHaveLength(4);
      const vals = scoreVectors.map((s) => s.reduce((a, b) => a + b, 0) / 4);
      const p = propose({ points, values: vals, scoreVectors }, 4, { seed: 1, batchMode });
      for (const x of p.points) for (const v of x) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it("pending points: none changes nothing; believer fantasises them, penalize penalises them, both steer the batch away", () => {
    for (const withScores of [false, true]) {
      const h = history(16, 1, withScores);
      for (const batchMode of ["reference", "distinct"] as const) {
        const plain = propose(h, 4, { seed: 8, batchMode });
        expect(propose({ ...h, pending: [] }, 4, { seed: 8, batchMode })).toEqual(plain);
      }
    }
    const h = history(16);
    const blind = propose(h, 3, { seed: 9 });
    const pending = [blind.points[0]];
    const y = standardize(h.values);
    const post = new GpPosterior(
      { X: toMatrix(h.points, d), y, n: h.points.length, d },
      blind.hyperparameters,
    );
    const bestF = Math.max(...y);
    // believer (default): the batch maximises log EI under the GP conditioned on the pending point
    const believer = propose({ ...h, pending }, 3, { seed: 9 });
    expect(propose({ ...h, pending }, 3, { seed: 9, pendingStrategy: "believer" })).toEqual(believer);
    const fantasy = new FantasyPosterior(post);
    fantasy.add(pending[0]);
    const fantasyLogEi = logEiOf(fantasy.predict(toMatrix(believer.points, d), 3), bestF);
    for (let i = 0; i < 3; i++) expect(believer.logAcquisition[i]).toBeCloseTo(fantasyLogEi[i], 10);
    // EI at the pending point collapses, and the batch leaves it
    const atPending = logEiOf(fantasy.predict(toMatrix(pending, d), 1), bestF)[0];
    expect(atPending).toBeLessThan(blind.logAcquisition[0] - 1);
    expect(minPairDistance(believer.points, pending)).toBeGreaterThan(0.05);
    // penalize: log EI plus the local penalty of the pending point, also lower there
    const penalized = propose({ ...h, pending }, 3, { seed: 9, pendingStrategy: "penalize" });
    expect(penalized.points).not.toEqual(believer.points);
    expect(minPairDistance(penalized.points, pending)).toBeGreaterThan(0.05);
    // distinct batches keep minDistance from pending points as from evaluated ones
    const minDistance = 0.3;
    for (const distinctStrategy of ["penalize", "dedupe", "greedy"] as const) {
      const p = propose({ ...h, pending: blind.points }, 5, {
        seed: 9,
        batchMode: "distinct",
        distinctStrategy,
        minDistance,
      });
      expect(minPairDistance(p.points, blind.points)).toBeGreaterThanOrEqual(minDistance);
    }
    expect(() => propose({ ...h, pending: [[0, 0]] }, 2, { seed: 1 })).toThrow(/history.pending\[0\]/);
    expect(() =>
      propose({ ...h, pending }, 2, { seed: 1, pendingStrategy: "nope" as unknown as "believer" }),
    ).toThrow(/pendingStrategy/);
  });

  it("rejects malformed histories with UserErrors that name the field", () => {
    const h = history(5);
    expect(() => propose({ ...h, values: h.values.slice(1) }, 2, { seed: 1 })).toThrow(/history.values/);
    expect(() => propose({ ...h, values: [...h.values.slice(1), Number.NaN] }, 2, { seed: 1 })).toThrow(
      /history.values\[4\]/,
    );
    expect(() => propose({ ...h, points: [...h.points.slice(1), [1, 2]] }, 2, { seed: 1 })).toThrow(
      /history.points\[4\]/,
    );
    expect(() => propose(h, 2, { seed: 1, kernel: "coupled" })).toThrow(/scoreVectors/);
    expect(() => propose(h, 0, { seed: 1 })).toThrow(UserError);
    expect(() =>
      propose(h, 2, { seed: 1, batchMode: "distinct", distinctStrategy: "nope" as unknown as "greedy" }),
    ).toThrow(/distinctStrategy/);
    expect(() => propose({ points: [], values: [] }, 1, { seed: 1 })).toThrow(/empty/);
  });

  it("standardize: zero mean, unit unbiased std; a single value maps to 0", () => {
    const s = standardize([1, 2, 3, 4]);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(s[3]).toBeCloseTo(1.5 / Math.sqrt(5 / 3), 8);
    expect(Array.from(standardize([7]))).toEqual([0]);
  });
});
