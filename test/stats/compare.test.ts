import { describe, expect, it } from "vitest";
import { compareScores, describeComparison, formatSigned } from "../../src/stats/compare.js";
import { mcnemarExact } from "../../src/stats/mcnemar.js";
import { Rng } from "../../src/util/rng.js";

/** Paired 0/1 lists with the given counts of (0,0), (0,1), (1,0), (1,1) pairs, shuffled. */
function table(n00: number, n01: number, n10: number, n11: number, seed = 0): [number[], number[]] {
  const pairs: [number, number][] = [
    ...Array.from({ length: n00 }, () => [0, 0] as [number, number]),
    ...Array.from({ length: n01 }, () => [0, 1] as [number, number]),
    ...Array.from({ length: n10 }, () => [1, 0] as [number, number]),
    ...Array.from({ length: n11 }, () => [1, 1] as [number, number]),
  ];
  const s = new Rng(seed).shuffled(pairs);
  return [s.map((p) => p[0]), s.map((p) => p[1])];
}

describe("mcnemarExact", () => {
  it("gives p = 1 without discordant pairs and rejects non-0/1 scores or unequal lengths", () => {
    expect(mcnemarExact([1, 0, 1], [1, 0, 1])).toEqual({ b01: 0, b10: 0, pValue: 1 });
    expect(mcnemarExact([], [])).toEqual({ b01: 0, b10: 0, pValue: 1 });
    expect(() => mcnemarExact([0.5, 1], [1, 1])).toThrow(RangeError);
    expect(() => mcnemarExact([1, 1], [1])).toThrow(RangeError);
  });

  it("stays finite and accurate for large tables (no underflow)", () => {
    const [a, b] = table(0, 3000, 3300, 0);
    const r = mcnemarExact(a, b);
    expect(r.pValue).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThan(1e-3);
    // 2 * 2^-1000 = 2^-999 ~ 1.9e-301: computed in log space, not as a product that underflows early.
    const [c, d] = table(0, 0, 1000, 0);
    expect(mcnemarExact(c, d).pValue / 2 ** -999).toBeCloseTo(1, 10);
    const [e, f] = table(0, 1, 1000, 0); // 2 P(X <= 1), X ~ Bin(1001, 1/2) = 2 (1 + 1001) 2^-1001
    expect(mcnemarExact(e, f).pValue / (1002 * 2 ** -1000)).toBeCloseTo(1, 10);
  });
});

describe("compareScores", () => {
  // issue 20 item 4: the verdict is read off an interval that holds at small n (Bonett-Price for 0/1,
  // studentized bootstrap for graded scores) and the p-value is that interval inverted; before, 0/1
  // verdicts came from McNemar beside a percentile interval (they disagreed on 4% of tables).
  it("uses the Bonett-Price interval for 0/1 scores: clearly better, worse, and indistinguishable", () => {
    const [w, b] = table(20, 3, 25, 52);
    const c = compareScores(w, b, { seed: 1 });
    expect(c.test).toBe("bonett-price");
    expect(c.verdict).toBe("better");
    expect(c.diff).toBeCloseTo(0.22, 12);
    expect(c.pValue).toBeLessThan(0.001);
    expect(c.low).toBeGreaterThan(0);
    expect(c.low).toBeLessThanOrEqual(c.diff);
    expect(c.high).toBeGreaterThanOrEqual(c.diff);
    expect(c.level).toBe(0.95);
    expect(c.n).toBe(100);

    const worse = compareScores(b, w, { seed: 1 });
    expect(worse.verdict).toBe("worse");
    expect(worse.diff).toBeCloseTo(-0.22, 12);

    const [x, y] = table(30, 10, 12, 48);
    const same = compareScores(x, y, { seed: 1 });
    expect(same.verdict).toBe("indistinguishable");
    expect(same.low).toBeLessThan(0);
    expect(same.high).toBeGreaterThan(0);
  });

  it("the verdict, the interval and p < alpha agree by construction (random 0/1 and graded tables)", () => {
    const rng = new Rng(11);
    for (let t = 0; t < 150; t++) {
      const n = rng.int(2, 40);
      const graded = t % 2 === 1;
      const draw = (p: number) =>
        graded ? Math.round(100 * rng.uniform() * p * 2) / 200 : rng.uniform() < p ? 1 : 0;
      const w = Array.from({ length: n }, () => draw(0.7));
      const b = Array.from({ length: n }, () => draw(0.5));
      for (const alpha of [0.05, 0.01, 0.2]) {
        const c = compareScores(w, b, { seed: t, alpha, resamples: 500 });
        const excludes = c.low > 0 || c.high < 0;
        expect(c.verdict !== "indistinguishable").toBe(excludes);
        expect(c.pValue < alpha).toBe(excludes);
      }
    }
  });

  it("uses the studentized bootstrap for non-binary scores, with the verdict from the interval", () => {
    const rng = new Rng(3);
    const base = Array.from({ length: 80 }, () => rng.uniform());
    const better = base.map((x) => Math.min(1, x + 0.1 + 0.05 * rng.normal()));
    const c = compareScores(better, base, { seed: 2 });
    expect(c.test).toBe("studentized-bootstrap");
    expect(c.verdict).toBe("better");
    expect(c.low).toBeGreaterThan(0);
    expect(c.pValue).toBeLessThan(0.05);

    expect(compareScores(base, better, { seed: 2 }).verdict).toBe("worse");
    const noise = base.map((x) => x + 0.05 * rng.normal());
    const n = compareScores(noise, base, { seed: 2 });
    expect(n.verdict).toBe("indistinguishable");
    expect(n.low).toBeLessThanOrEqual(0);
    expect(n.high).toBeGreaterThanOrEqual(0);
    expect(n.pValue).toBeGreaterThanOrEqual(0.05);
  });

  it("treats one non-binary side as non-binary, and is deterministic per seed", () => {
    const w = [1, 0, 1, 1, 0.5, 1, 1, 0];
    const b = [0, 0, 1, 0, 0, 1, 0, 0];
    const c = compareScores(w, b, { seed: 5 });
    expect(c.test).toBe("studentized-bootstrap");
    expect(compareScores(w, b, { seed: 5 })).toEqual(c);
  });

  it("alpha sets the interval level", () => {
    const [w, b] = table(20, 8, 16, 56);
    const c95 = compareScores(w, b, { seed: 4 });
    const c80 = compareScores(w, b, { seed: 4, alpha: 0.2 });
    expect(c80.level).toBeCloseTo(0.8, 12);
    expect(c80.high - c80.low).toBeLessThan(c95.high - c95.low);
  });

  it("identical systems are indistinguishable, with an interval around 0", () => {
    const xs = [1, 0, 1, 1, 0];
    const c = compareScores(xs, xs, { seed: 0 });
    expect(c).toMatchObject({ diff: 0, pValue: 1, verdict: "indistinguishable" });
    expect(c.low).toBeLessThanOrEqual(0);
    expect(c.high).toBeGreaterThanOrEqual(0);
  });

  it("rejects unequal lengths, empty lists and bad alpha", () => {
    expect(() => compareScores([1], [1, 0], { seed: 0 })).toThrow(RangeError);
    expect(() => compareScores([], [], { seed: 0 })).toThrow(RangeError);
    expect(() => compareScores([1], [0], { seed: 0, alpha: 0 })).toThrow(RangeError);
  });
});

describe("describeComparison", () => {
  it("says better, worse or not distinguishable with signed numbers and the level", () => {
    expect(
      describeComparison({ diff: 0.12, low: 0.05, high: 0.19, verdict: "better" }, "human instruction"),
    ).toBe("better than human instruction by +0.12 (95% CI +0.05 to +0.19)");
    expect(
      describeComparison(
        { diff: 0.01, low: -0.04, high: 0.06, verdict: "indistinguishable" },
        "no instruction",
      ),
    ).toBe("not distinguishable from no instruction (difference +0.01, 95% CI -0.04 to +0.06)");
    expect(
      describeComparison(
        { diff: -0.08, low: -0.14, high: -0.02, verdict: "worse", level: 0.9 },
        "your baseline",
      ),
    ).toBe("worse than your baseline by -0.08 (90% CI -0.14 to -0.02)");
  });

  it("describes a real comparison", () => {
    const [w, b] = table(20, 3, 25, 52);
    const s = describeComparison(compareScores(w, b, { seed: 1 }), "no instruction");
    expect(s).toMatch(/^better than no instruction by \+0\.22 \(95% CI \+0\.\d\d to \+0\.\d\d\)$/);
  });

  it("formats signs without a negative zero", () => {
    expect(formatSigned(0.123)).toBe("+0.12");
    expect(formatSigned(-0.126)).toBe("-0.13");
    expect(formatSigned(-0.001)).toBe("0.00");
    expect(formatSigned(0)).toBe("0.00");
    expect(formatSigned(0.5, 3)).toBe("+0.500");
  });
});
