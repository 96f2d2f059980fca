import { describe, expect, it } from "vitest";
import {
  binomialUpperTailHalf,
  blocksOf,
  incumbentOf,
  isPerfect,
  raceDecision,
  signTestWorse,
} from "../../src/optimizers/racing.js";
import { binomialTwoSidedHalf } from "../../src/stats/mcnemar.js";
import { Rng } from "../../src/util/rng.js";

const inc = (scores: number[], index = 0) => ({
  index,
  scores,
  score: scores.reduce((a, b) => a + b, 0) / scores.length,
});

/** Scores of one candidate on n examples: 1 with probability p (seeded). */
function stream(rng: Rng, p: number, n: number): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
}

/**
 * The examples a race scores: blocks of `block` until raceDecision stops it (or all `total` are scored).
 * Returns the number scored and the stop reason.
 */
function race(scores: number[], incumbent: ReturnType<typeof inc>, block: number, alpha: number) {
  const total = scores.length;
  for (const [, b] of blocksOf(total, block)) {
    if (b >= total) return { scored: total, reason: null };
    const stop = raceDecision(scores.slice(0, b), incumbent, total, alpha);
    if (stop) return { scored: b, reason: stop.reason };
  }
  return { scored: total, reason: null };
}

describe("the one-sided sign test", () => {
  it("binomial upper tail: exact values", () => {
    expect(binomialUpperTailHalf(7, 7)).toBeCloseTo(1 / 128, 15);
    expect(binomialUpperTailHalf(8, 10)).toBeCloseTo(56 / 1024, 15);
    expect(binomialUpperTailHalf(0, 5)).toBe(1);
    expect(binomialUpperTailHalf(6, 5)).toBe(0);
    expect(binomialUpperTailHalf(1, 1)).toBe(0.5);
    // large n stays accurate (log space): P(X >= 150 | 200) ~ 7.8e-13
    const p = binomialUpperTailHalf(150, 200);
    expect(p).toBeGreaterThan(1e-13);
    expect(p).toBeLessThan(1e-11);
  });

  it("on 0/1 scores it is the one-sided exact McNemar test: half the two-sided p-value when the candidate loses more", () => {
    const rng = new Rng(5);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(1, 30);
      const a = stream(rng, 0.4, n);
      const b = stream(rng, 0.7, n);
      const s = signTestWorse(a, b);
      if (s.worse > s.better) expect(s.pValue).toBeCloseTo(binomialTwoSidedHalf(s.worse, s.better) / 2, 12);
      if (s.worse <= s.better) expect(s.pValue).toBeGreaterThanOrEqual(0.5);
    }
  });

  it("pairs a prefix with the incumbent's first scores, ties dropped; graded scores count by sign", () => {
    const s = signTestWorse([0, 0, 1, 1], [1, 1, 1, 0, 1, 1]);
    expect(s).toMatchObject({ worse: 2, better: 1 });
    expect(s.pValue).toBeCloseTo(0.5, 14);
    expect(signTestWorse([0.2, 0.5, 0.5], [0.3, 0.5, 0.1])).toMatchObject({ worse: 1, better: 1 });
    expect(() => signTestWorse([1, 1, 1], [1])).toThrow(RangeError);
  });
});

describe("raceDecision on score streams", () => {
  const total = 20;

  it("stops by the bound once even a perfect rest cannot beat the incumbent", () => {
    const incumbent = inc([...Array(16).fill(1), ...Array(4).fill(0)]); // 0.8
    // after 5: 0 right -> at best 15/20 < 16/20
    expect(raceDecision([0, 0, 0, 0, 0], incumbent, total, 0.01)).toEqual({ reason: "bound" });
    // after 5: 1 right -> at best 16/20, a tie: not dropped by the bound
    expect(raceDecision([1, 0, 0, 0, 0], incumbent, total, 0.01)).toBeNull();
    // after 15: 10 right -> 15/20 < 16/20
    expect(raceDecision([...Array(10).fill(1), ...Array(5).fill(0)], incumbent, total, 0.01)).toEqual({
      reason: "bound",
    });
    // after 15: 11 right -> 16/20, tie again
    expect(raceDecision([...Array(11).fill(1), ...Array(4).fill(0)], incumbent, total, 0.01)).toBeNull();
  });

  it("stops by the paired test at level alpha, only with enough discordant examples against it", () => {
    // the incumbent's first 10 are right, its last 10 wrong (mean 0.5): the bound cannot stop a
    // candidate with 2 of 10 right (at best 12/20 > 10/20), the test can (8 discordant, all against)
    const incumbent = inc([...Array(10).fill(1), ...Array(10).fill(0)]);
    const prefix = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const stop = raceDecision(prefix, incumbent, total, 0.01);
    expect(stop?.reason).toBe("test");
    expect(stop?.pValue).toBeCloseTo(1 / 256, 15);
    // 6 discordant against: p = 1/64 > 0.01, go on (and with alpha 0.05 stop)
    const six = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    expect(raceDecision(six, incumbent, total, 0.01)).toBeNull();
    expect(raceDecision(six, incumbent, total, 0.05)?.reason).toBe("test");
  });

  it("never stops without an incumbent, with the whole set scored, or when ahead", () => {
    expect(raceDecision([0, 0, 0, 0, 0], null, total, 0.01)).toBeNull();
    const incumbent = inc(Array(20).fill(1));
    expect(raceDecision(Array(20).fill(0), incumbent, total, 0.01)).toBeNull();
    expect(raceDecision([1, 1, 1, 1, 1], inc(Array(20).fill(0.5)), total, 0.01)).toBeNull();
  });

  it("rarely drops a candidate as good as the incumbent (<= looks x alpha), mostly drops clearly worse ones early", () => {
    const rng = new Rng(11);
    const trials = 4000;
    let falseDrops = 0;
    let byTest = 0;
    let worseDropped = 0;
    let worseScored = 0;
    for (let t = 0; t < trials; t++) {
      const incumbentScores = stream(rng, 0.7, total);
      const incumbent = inc(incumbentScores);
      // a candidate with the same accuracy (0.7) whose realised validation mean is at least the incumbent's:
      // dropping it would be a false drop on this validation set
      const same = stream(rng, 0.7, total);
      const r = race(same, incumbent, 5, 0.01);
      if (r.reason !== null && same.reduce((a, b) => a + b, 0) >= incumbentScores.reduce((a, b) => a + b, 0))
        falseDrops++;
      if (r.reason === "test") byTest++;
      const worse = race(stream(rng, 0.2, total), incumbent, 5, 0.01);
      if (worse.reason !== null) worseDropped++;
      worseScored += worse.scored;
    }
    // the bound never drops a candidate that would have tied or won; the test at 0.01 per look (3 looks)
    expect(falseDrops / trials).toBeLessThan(0.03);
    expect(byTest / trials).toBeLessThan(0.03);
    expect(worseDropped / trials).toBeGreaterThan(0.9);
    expect(worseScored / trials).toBeLessThan(12); // of 20
  });
});

describe("blocks, incumbent and perfect scores", () => {
  it("blocks cover the examples in order", () => {
    expect(blocksOf(20, 5)).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
      [15, 20],
    ]);
    expect(blocksOf(7, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    expect(blocksOf(3, 5)).toEqual([[0, 3]]);
    expect(() => blocksOf(5, 0)).toThrow(RangeError);
  });

  it("the incumbent is the best fully scored record, earliest on ties; prefixes and empty ones never", () => {
    const r = (index: number, scores: number[], extra = {}) => ({ ...inc(scores, index), ...extra });
    const records = [
      r(0, [1, 0, 0, 0]),
      r(1, [1, 1]), // a prefix with a higher mean
      r(2, [1, 1, 0, 0]),
      r(3, [0, 1, 1, 0]), // tie with #2: the earlier one stays
      r(4, [1, 1, 1, 1], { empty: true }),
    ];
    expect(incumbentOf(records, 4)?.index).toBe(2);
    expect(incumbentOf([records[1]], 4)).toBeNull();
    expect(isPerfect({ scores: [1, 1, 1] }, 3)).toBe(true);
    expect(isPerfect({ scores: [1, 1] }, 3)).toBe(false);
    expect(isPerfect({ scores: [1, 0.99, 1] }, 3)).toBe(false);
    expect(isPerfect({ scores: [1, 1, 1], empty: true }, 3)).toBe(false);
  });
});
