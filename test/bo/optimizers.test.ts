import { describe, expect, it } from "vitest";
import { cmaesMaximize, cmaesMinimize } from "../../src/bo/cmaes.js";
import { lbfgs } from "../../src/bo/lbfgs.js";
import { Rng } from "../../src/util/rng.js";

type Fn = (x: Float64Array) => number;
function batch(f: Fn) {
  return (X: Float64Array, m: number): Float64Array => {
    const d = X.length / m;
    return Float64Array.from({ length: m }, (_, k) => f(X.subarray(k * d, k * d + d)));
  };
}
const sphere: Fn = (x) => x.reduce((s, v) => s + (v - 0.3) ** 2, 0);
const rosenbrock: Fn = (x) => {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
};
const rastrigin: Fn = (x) => x.reduce((s, v) => s + v * v - 10 * Math.cos(2 * Math.PI * v), 10 * x.length);

describe("CMA-ES", () => {
  it("sphere-10 (optimum 0.3 inside [-1,1]): < 1e-10 within 300 generations x 12", () => {
    for (const seed of [1, 2, 3]) {
      const r = cmaesMinimize(batch(sphere), Array(10).fill(0.9), new Rng(seed), {
        popSize: 12,
        sigma0: 0.5,
        maxGenerations: 300,
      });
      expect(r.value).toBeLessThan(1e-10);
      expect(r.evaluations).toBeLessThanOrEqual(3600);
      for (const v of r.x) expect(v).toBeCloseTo(0.3, 4);
    }
  });

  it("Rosenbrock-10 on [-2,2]: < 1e-10 within 1500 generations x 12 (18,000 evaluations)", () => {
    for (const seed of [1, 2, 3]) {
      const r = cmaesMinimize(batch(rosenbrock), Array(10).fill(0), new Rng(seed), {
        popSize: 12,
        sigma0: 0.5,
        maxGenerations: 1500,
        bounds: [-2, 2],
        target: 1e-12,
      });
      expect(r.value).toBeLessThan(1e-10);
    }
  });

  it("Rastrigin-10 on [-5.12,5.12] with popsize 200: global optimum in >= 3 of 5 seeds, 1000 generations", () => {
    let hits = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = cmaesMinimize(batch(rastrigin), Array(10).fill(3), new Rng(seed), {
        popSize: 200,
        sigma0: 3,
        maxGenerations: 1000,
        bounds: [-5.12, 5.12],
        target: 1e-8,
      });
      if (r.value < 1e-8) hits++;
      expect(r.value).toBeLessThan(3); // at worst a near-optimal local minimum
    }
    expect(hits).toBeGreaterThanOrEqual(3);
  });

  it("stays in the box and finds a corner optimum outside the start's neighbourhood", () => {
    // maximise sum(x) on [-1,1]^5: optimum at the corner (1,...,1)
    const r = cmaesMaximize(
      batch((x) => x.reduce((s, v) => s + v, 0)),
      Array(5).fill(-0.5),
      new Rng(1),
      {
        maxGenerations: 60,
      },
    );
    for (const v of r.x) {
      expect(v).toBeLessThanOrEqual(1);
      expect(v).toBeGreaterThan(0.99);
    }
  });

  it("is deterministic bit for bit from the seed (defaults: sigma0 0.8, popsize 50, 10 generations)", () => {
    const run = (seed: number) =>
      cmaesMaximize(
        batch((x) => -sphere(x)),
        Array(10).fill(0),
        new Rng(seed),
      );
    const a = run(11);
    expect(a.generations).toBe(10);
    expect(a.evaluations).toBe(500);
    expect(run(11)).toEqual(a);
    expect(run(12).x).not.toEqual(a.x);
  });
});

describe("L-BFGS", () => {
  it("Rosenbrock-2 from (-1.2, 1) converges to (1, 1)", () => {
    const f = (x: Float64Array) => {
      const [a, b] = x;
      return {
        value: 100 * (b - a * a) ** 2 + (1 - a) ** 2,
        grad: Float64Array.from([-400 * a * (b - a * a) - 2 * (1 - a), 200 * (b - a * a)]),
      };
    };
    const r = lbfgs(f, [-1.2, 1], { maxIterations: 200, gradTolerance: 1e-9, valueTolerance: 0 });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 7);
    expect(r.x[1]).toBeCloseTo(1, 7);
    expect(r.iterations).toBeLessThan(100);
  });

  it("Rosenbrock-10 from zero converges with the analytic gradient", () => {
    const f = (x: Float64Array) => {
      const n = x.length;
      const g = new Float64Array(n);
      let v = 0;
      for (let i = 0; i < n - 1; i++) {
        const t = x[i + 1] - x[i] ** 2;
        v += 100 * t * t + (1 - x[i]) ** 2;
        g[i] += -400 * x[i] * t - 2 * (1 - x[i]);
        g[i + 1] += 200 * t;
      }
      return { value: v, grad: g };
    };
    const r = lbfgs(f, new Float64Array(10), { maxIterations: 500, gradTolerance: 1e-8, valueTolerance: 0 });
    expect(r.value).toBeLessThan(1e-12);
    for (const v of r.x) expect(v).toBeCloseTo(1, 5);
  });

  it("backs off from infeasible (non-finite) regions", () => {
    // minimise x - log(x): optimum x = 1, undefined for x <= 0
    const f = (x: Float64Array) => ({
      value: x[0] > 0 ? x[0] - Math.log(x[0]) : Number.NaN,
      grad: Float64Array.from([1 - 1 / x[0]]),
    });
    const r = lbfgs(f, [8], { maxIterations: 100, gradTolerance: 1e-10 });
    expect(r.x[0]).toBeCloseTo(1, 6);
  });
});
