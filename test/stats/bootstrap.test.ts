import { describe, expect, it } from "vitest";
import { bootstrapMeanCI, mean, pairedBootstrapDiffCI } from "../../src/stats/bootstrap.js";
import { Rng } from "../../src/util/rng.js";

function bernoulli(rng: Rng, p: number, n: number): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
}

describe("bootstrapMeanCI", () => {
  const values = bernoulli(new Rng(1), 0.6, 40);

  it("is deterministic for a seed and changes with the seed", () => {
    const a = bootstrapMeanCI(values, { seed: 7 });
    expect(bootstrapMeanCI(values, { seed: 7 })).toEqual(a);
    const other = [3, 5, 8, 13, 21].map((s) => bootstrapMeanCI(values, { seed: s, resamples: 500 }));
    expect(new Set(other.map((o) => `${o.low},${o.high}`)).size).toBeGreaterThan(1);
  });

  it("reports the sample mean and an interval containing it, inside the data's range", () => {
    for (const seed of [0, 1, 2]) {
      const r = bootstrapMeanCI(values, { seed });
      expect(r.mean).toBeCloseTo(mean(values), 15);
      expect(r.low).toBeLessThanOrEqual(r.mean);
      expect(r.high).toBeGreaterThanOrEqual(r.mean);
      expect(r.low).toBeGreaterThanOrEqual(0);
      expect(r.high).toBeLessThanOrEqual(1);
      expect(r.high - r.low).toBeGreaterThan(0);
    }
  });

  it("is about mean ± 1.96 s.e. for a large sample", () => {
    const xs = bernoulli(new Rng(2), 0.3, 2000);
    const m = mean(xs);
    const se = Math.sqrt((m * (1 - m)) / xs.length);
    const r = bootstrapMeanCI(xs, { seed: 4, resamples: 4000 });
    expect(Math.abs(r.high - r.low - 2 * 1.96 * se)).toBeLessThan(0.15 * 2 * 1.96 * se);
  });

  it("narrows as n grows (width ~ 1/sqrt(n))", () => {
    const rng = new Rng(3);
    const widths = [25, 100, 400, 1600].map((n) => {
      const r = bootstrapMeanCI(bernoulli(rng, 0.5, n), { seed: n, resamples: 2000 });
      return r.high - r.low;
    });
    for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeLessThan(widths[i - 1] * 0.7);
  });

  it("narrows with a lower level", () => {
    const a = bootstrapMeanCI(values, { seed: 9, level: 0.95 });
    const b = bootstrapMeanCI(values, { seed: 9, level: 0.8 });
    expect(b.low).toBeGreaterThanOrEqual(a.low);
    expect(b.high).toBeLessThanOrEqual(a.high);
    expect(b.high - b.low).toBeLessThan(a.high - a.low);
  });

  it("covers a known Bernoulli mean ~95% of the time over many seeded trials", () => {
    // 400 trials of n = 100 draws with p = 0.7; binomial s.d. of the coverage is ~0.011.
    const p = 0.7;
    const rng = new Rng(2024);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const r = bootstrapMeanCI(bernoulli(rng, p, 100), { seed: t, resamples: 1000 });
      if (r.low <= p && p <= r.high) covered++;
    }
    const coverage = covered / trials;
    expect(coverage).toBeGreaterThan(0.91);
    expect(coverage).toBeLessThan(0.985);
  });

  it("collapses to a point when all values are equal, and handles n = 1", () => {
    expect(bootstrapMeanCI([1, 1, 1], { seed: 0 })).toEqual({ mean: 1, low: 1, high: 1 });
    const r = bootstrapMeanCI([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], { seed: 0, resamples: 100 });
    expect(r.low).toBe(r.mean);
    expect(r.high).toBe(r.mean);
    expect(bootstrapMeanCI([0.4], { seed: 0, resamples: 10 })).toEqual({ mean: 0.4, low: 0.4, high: 0.4 });
  });

  it("rejects empty lists, non-finite values and bad options", () => {
    expect(() => bootstrapMeanCI([], { seed: 0 })).toThrow(RangeError);
    expect(() => bootstrapMeanCI([1, Number.NaN], { seed: 0 })).toThrow(RangeError);
    expect(() => bootstrapMeanCI([1, 0], { seed: 0, level: 1 })).toThrow(RangeError);
    expect(() => bootstrapMeanCI([1, 0], { seed: 0, resamples: 0 })).toThrow(RangeError);
  });
});

describe("pairedBootstrapDiffCI", () => {
  it("is the bootstrap of the per-example differences with the same stream", () => {
    const rng = new Rng(5);
    const a = bernoulli(rng, 0.7, 60);
    const b = bernoulli(rng, 0.5, 60);
    const r = pairedBootstrapDiffCI(a, b, { seed: 11 });
    const d = bootstrapMeanCI(
      a.map((x, i) => x - b[i]),
      { seed: 11 },
    );
    expect(r).toEqual({ diff: d.mean, low: d.low, high: d.high });
    expect(r.diff).toBeCloseTo(mean(a) - mean(b), 12);
    expect(pairedBootstrapDiffCI(a, b, { seed: 11 })).toEqual(r);
  });

  it("pairing removes the shared per-example difficulty (narrower than unpaired)", () => {
    // b is a with a few examples flipped: highly correlated scores.
    const rng = new Rng(6);
    const a = bernoulli(rng, 0.6, 200);
    const b = a.map((x) => (rng.uniform() < 0.05 ? 1 - x : x));
    const paired = pairedBootstrapDiffCI(a, b, { seed: 1 });
    const ia = bootstrapMeanCI(a, { seed: 2 });
    const ib = bootstrapMeanCI(b, { seed: 3 });
    const unpairedWidth = Math.sqrt((ia.high - ia.low) ** 2 + (ib.high - ib.low) ** 2);
    expect(paired.high - paired.low).toBeLessThan(unpairedWidth / 3);
  });

  it("gives [0, 0] for identical lists and rejects unequal lengths", () => {
    expect(pairedBootstrapDiffCI([1, 0, 1], [1, 0, 1], { seed: 0 })).toEqual({ diff: 0, low: 0, high: 0 });
    expect(() => pairedBootstrapDiffCI([1, 0], [1], { seed: 0 })).toThrow(RangeError);
  });
});
