/** The ship verdict, the power plan and the small-n intervals (issue 20, item 4). */
import { describe, expect, it } from "vitest";
import { intervalPValue, meanInterval, pairedIntervalFamily } from "../../src/stats/interval.js";
import { examplesForGain, minDetectableGain } from "../../src/stats/power.js";
import { shipVerdict } from "../../src/stats/verdict.js";

const cmp = (baseline: string, diff: number, low: number, high: number, n = 20) => ({
  baseline,
  diff,
  low,
  high,
  n,
});

describe("shipVerdict", () => {
  it("ship when the gain over every baseline has a lower bound above 0", () => {
    const v = shipVerdict([cmp("no instruction", 0.4, 0.2, 0.6), cmp("human instruction", 0.1, 0.02, 0.18)]);
    expect(v).toMatchObject({ verdict: "ship", moreExamples: 0 });
    expect(v.text).toBe("ship: better than every baseline");
  });

  it("don't ship when some baseline is better", () => {
    const v = shipVerdict([
      cmp("no instruction", 0.4, 0.2, 0.6),
      cmp("human instruction", -0.2, -0.35, -0.05),
    ]);
    expect(v.verdict).toBe("don't ship");
    expect(v.text).toBe("don't ship: worse than human instruction");
  });

  it("inconclusive, with the test examples that would likely decide it (half-width shrinking as 1/sqrt n)", () => {
    // d = 0.1, lower half-width 0.15 at n = 20: decides at 20 (0.15 / 0.1)^2 = 45 examples -> 26 more
    const v = shipVerdict([cmp("no instruction", 0.4, 0.2, 0.6), cmp("human instruction", 0.1, -0.05, 0.25)]);
    expect(v).toMatchObject({ verdict: "inconclusive", moreExamples: 26, leaning: "ship" });
    expect(v.text).toMatch(/about 26 more test examples/);
    // leaning negative: the first negative comparison to decide sets the count
    const w = shipVerdict([cmp("a", -0.1, -0.3, 0.1), cmp("b", 0.05, -0.1, 0.2)]);
    expect(w).toMatchObject({ verdict: "inconclusive", leaning: "don't ship", moreExamples: 61 });
    // a difference of exactly 0 never decides
    expect(shipVerdict([cmp("a", 0, -0.1, 0.1)]).moreExamples).toBeNull();
    expect(shipVerdict([]).verdict).toBe("inconclusive");
  });
});

describe("minDetectableGain", () => {
  it("shrinks with n, is null when nothing is detectable, and is a gain the test detects 80% of the time", () => {
    const g20 = minDetectableGain(20, 0.5) as number;
    const g100 = minDetectableGain(100, 0.5) as number;
    expect(g100).toBeLessThan(g20);
    expect(minDetectableGain(10, 0.9)).toBeNull();
    expect(minDetectableGain(100, 1)).toBeNull();
    expect(() => minDetectableGain(0, 0.5)).toThrow(RangeError);
  });
});

describe("examplesForGain", () => {
  it("is the inverse of minDetectableGain: the fewest examples whose detectable gain is at most the gain", () => {
    for (const baseline of [0, 0.3, 0.5, 0.8])
      for (const gain of [0.05, 0.1, 0.15, 0.2]) {
        const n = examplesForGain(gain, baseline);
        expect(minDetectableGain(n, baseline) as number).toBeLessThanOrEqual(gain + 1e-9);
        if (n > 1) {
          const g = minDetectableGain(n - 1, baseline);
          expect(g === null || g > gain - 1e-9).toBe(true);
        }
      }
    expect(() => examplesForGain(0, 0.5)).toThrow(RangeError);
    expect(() => examplesForGain(0.6, 0.5)).toThrow(RangeError);
  });
});

describe("intervals at small n", () => {
  it("a perfect 0/1 score is never [1, 1]", () => {
    for (const n of [1, 5, 10, 20, 100]) {
      const r = meanInterval(Array(n).fill(1), { seed: 0 });
      expect(r.method).toBe("wilson");
      expect(r.high).toBe(1);
      expect(r.low).toBeLessThan(1);
    }
  });

  it("graded scores get the studentized bootstrap inside [0, 1], deterministic per seed", () => {
    const xs = [0.5, 0.8, 0.9, 1, 0.75, 0.6, 0.95, 0.85];
    const r = meanInterval(xs, { seed: 3 });
    expect(r.method).toBe("studentized-bootstrap");
    expect(r.low).toBeGreaterThanOrEqual(0);
    expect(r.high).toBeLessThanOrEqual(1);
    expect(r.low).toBeLessThan(r.mean);
    expect(meanInterval(xs, { seed: 3 })).toEqual(r);
  });

  it("the p-value of an interval family is where it stops containing 0", () => {
    const f = pairedIntervalFamily([1, 1, 1, 1, 1, 1, 0, 1], [0, 0, 1, 0, 0, 1, 0, 1], { seed: 0 });
    const p = intervalPValue(f);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    const inside = f.at(1 - p * 0.999);
    const outside = f.at(1 - p * 1.001);
    expect(inside.low).toBeLessThanOrEqual(0);
    expect(outside.low).toBeGreaterThan(0);
  });
});
