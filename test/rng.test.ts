import { describe, expect, it } from "vitest";
import { Rng, seedFor } from "../src/util/rng.js";

describe("Rng", () => {
  it("gives the same stream for the same seed and a different one for another seed", () => {
    const a = new Rng(3);
    const b = new Rng(3);
    const c = new Rng(4);
    const sa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(sa);
  });

  it("draws normals with mean ~0 and variance ~1", () => {
    const r = new Rng(11);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
  });

  it("shuffles into a permutation and keeps ints in range", () => {
    const r = new Rng(5);
    const p = r.shuffled([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...p].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let i = 0; i < 1000; i++) {
      const k = r.int(2, 4);
      expect(k >= 2 && k <= 4).toBe(true);
    }
  });

  it("derives distinct labelled seeds", () => {
    expect(seedFor(0, "a")).toBe(seedFor(0, "a"));
    expect(seedFor(0, "a")).not.toBe(seedFor(0, "b"));
    expect(seedFor(0, "a")).not.toBe(seedFor(1, "a"));
  });
});
