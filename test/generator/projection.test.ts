import { describe, expect, it } from "vitest";
import { MeanStd, makeProjection, project } from "../../src/generator/projection.js";
import { INDUCTION_QUESTION, renderInductionPrompt } from "../../src/tasks/templates.js";

describe("random projection A", () => {
  it("uniform: entries in [-1, 1), deterministic in the seed, spread over the range", () => {
    const a = makeProjection("uniform", 10, 5 * 32, 3);
    const b = makeProjection("uniform", 10, 5 * 32, 3);
    const c = makeProjection("uniform", 10, 5 * 32, 4);
    expect(a.data).toHaveLength(1600);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    expect(Math.min(...a.data)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a.data)).toBeLessThan(1);
    const m = new MeanStd();
    m.add(a.data);
    // U[-1,1]: mean 0, std 1/sqrt(3) = 0.577; 1600 draws
    expect(Math.abs(m.mean)).toBeLessThan(0.05);
    expect(m.std).toBeCloseTo(1 / Math.sqrt(3), 1);
  });

  it("normal: sigma = embStd / sqrt(d), and needs embStd", () => {
    const a = makeProjection("normal", 16, 4000, 1, 2);
    const m = new MeanStd();
    m.add(a.data);
    expect(m.std).toBeGreaterThan(0.5 * 0.98);
    expect(m.std).toBeLessThan(0.5 * 1.02);
    expect(() => makeProjection("normal", 4, 10, 1)).toThrow(/embStd/);
  });

  it("project computes z A (float64 reference) and checks the length of z", () => {
    const A = makeProjection("uniform", 3, 7, 9);
    const z = [0.5, -2, 0.25];
    const got = project(A, z);
    for (let j = 0; j < 7; j++) {
      let ref = 0;
      for (let i = 0; i < 3; i++) ref += z[i] * A.data[i * 7 + j];
      expect(got[j]).toBeCloseTo(ref, 6);
    }
    expect(Array.from(project(A, [0, 0, 0]))).toEqual(new Array(7).fill(0));
    expect(() => project(A, [1, 2])).toThrow(/2 numbers, expected 3/);
  });

  it("MeanStd equals the two-pass population statistics", () => {
    const xs = [1, 2, 3, 4, 10, -3.5];
    const m = new MeanStd();
    m.add(xs.slice(0, 2));
    m.add(Float32Array.from(xs.slice(2)));
    const mean = xs.reduce((a, b) => a + b) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(m.mean).toBeCloseTo(mean, 12);
    expect(m.std).toBeCloseTo(std, 12);
  });
});

describe("induction prompt", () => {
  it("formats demos like the reference", () => {
    expect(
      renderInductionPrompt([
        { input: "a", output: "b" },
        { input: "c", output: "d" },
      ]),
    ).toBe(`Input: a\nOutput: b\n\nInput: c\nOutput: d\n\n${INDUCTION_QUESTION}`);
    expect(INDUCTION_QUESTION).toBe("The instruction was to?");
  });
});
