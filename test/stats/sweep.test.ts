import { describe, expect, it } from "vitest";
import { meanStdErr, winTieLoss } from "../../src/stats/sweep.js";

describe("meanStdErr", () => {
  it("computes the mean and the standard error with the n - 1 denominator", () => {
    const r = meanStdErr([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    expect(r.stdErr).toBeCloseTo(Math.sqrt(5 / 3 / 4), 15);
    expect(r.n).toBe(4);
  });

  it("gives NaN for one value, 0 for constant values, and rejects empty or non-finite input", () => {
    expect(meanStdErr([0.3]).stdErr).toBeNaN();
    expect(meanStdErr([0.3, 0.3]).stdErr).toBe(0);
    expect(() => meanStdErr([])).toThrow(RangeError);
    expect(() => meanStdErr([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe("winTieLoss", () => {
  it("counts wins, ties and losses of the method against the baseline", () => {
    const pairs: [number, number][] = [
      [0.8, 0.7],
      [0.6, 0.6],
      [0.5, 0.7],
      [0.9, 0.85],
    ];
    expect(winTieLoss(pairs)).toEqual({ win: 2, tie: 1, loss: 1, n: 4 });
    expect(winTieLoss(pairs, 0.05)).toEqual({ win: 1, tie: 2, loss: 1, n: 4 });
    expect(winTieLoss(pairs, 0.5)).toEqual({ win: 0, tie: 4, loss: 0, n: 4 });
  });

  it("counts a difference of exactly the tolerance as a tie despite floating point", () => {
    expect(0.55 - 0.5 > 0.05).toBe(true); // the floating-point trap
    expect(winTieLoss([[0.55, 0.5]], 0.05)).toEqual({ win: 0, tie: 1, loss: 0, n: 1 });
    expect(winTieLoss([[0.1 + 0.2, 0.3]])).toEqual({ win: 0, tie: 1, loss: 0, n: 1 });
  });

  it("handles no pairs and rejects a negative tolerance", () => {
    expect(winTieLoss([])).toEqual({ win: 0, tie: 0, loss: 0, n: 0 });
    expect(() => winTieLoss([[1, 0]], -1)).toThrow(RangeError);
  });
});
