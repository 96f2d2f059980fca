/** The small-n verdict's pieces against scipy (scripts/oracles/verdict_oracle.py). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { intervalPValue, pairedIntervalFamily } from "../../src/stats/interval.js";
import { newcombePairedInterval } from "../../src/stats/newcombe.js";
import { normalQuantile } from "../../src/stats/normal.js";
import { bonettPriceInterval, bonettPricePValue } from "../../src/stats/paired-wald.js";
import { minDetectableGain } from "../../src/stats/power.js";
import { studentizedInterval, studentizedReplicates } from "../../src/stats/studentized.js";
import { wilsonInterval } from "../../src/stats/wilson.js";

type Num = number | "inf" | "-inf";
interface Oracle {
  normalQuantile: { p: number; z: number }[];
  wilson: { k: number; n: number; level: number; low: number; high: number; cpLow: number; cpHigh: number }[];
  newcombe: {
    table: [number, number, number, number];
    level: number;
    diff: number;
    low: number;
    high: number;
  }[];
  bonettPrice: {
    n10: number;
    n01: number;
    n: number;
    level: number;
    center: number;
    low: number;
    high: number;
    pValue: number;
  }[];
  studentized: {
    values: number[];
    resamples: number;
    indices: number[];
    unit: boolean;
    levels: { level: number; low: Num; high: Num }[];
  }[];
  power: { n: number; baseline: number; gain: number | null }[];
}

const oracle: Oracle = JSON.parse(
  readFileSync(new URL("../fixtures/stats/verdict-oracle.json", import.meta.url), "utf8"),
);
const num = (x: Num) => (x === "inf" ? Infinity : x === "-inf" ? -Infinity : x);
const close = (a: number, b: number, tol = 1e-9) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe("verdict statistics against the scipy oracle", () => {
  it("normalQuantile matches scipy.stats.norm.ppf", () => {
    for (const c of oracle.normalQuantile) close(normalQuantile(c.p), c.z, 1e-12);
  });

  it("wilsonInterval matches statsmodels' Wilson formula, never [1, 1] at finite n, close to Clopper-Pearson's", () => {
    for (const c of oracle.wilson) {
      const w = wilsonInterval(c.k, c.n, c.level);
      close(w.low, c.low, 1e-12);
      close(w.high, c.high, 1e-12);
      expect(w.low).toBeLessThan(1);
      expect(w.high).toBeGreaterThan(0);
      if (c.k === c.n) expect(w.low).toBeGreaterThan(c.cpLow - 0.1);
    }
  });

  it("newcombePairedInterval matches the hybrid score formula", () => {
    for (const c of oracle.newcombe) {
      const [n11, n10, n01, n00] = c.table;
      const r = newcombePairedInterval({ n11, n10, n01, n00 }, c.level);
      close(r.diff, c.diff, 1e-12);
      close(r.low, c.low, 1e-12);
      close(r.high, c.high, 1e-12);
    }
  });

  it("bonettPriceInterval and its p-value match the adjusted Wald formula; the inverted interval gives the same p", () => {
    for (const c of oracle.bonettPrice) {
      const r = bonettPriceInterval(c.n10, c.n01, c.n, c.level);
      close(r.center, c.center, 1e-12);
      close(r.low, c.low, 1e-12);
      close(r.high, c.high, 1e-12);
      close(bonettPricePValue(c.n10, c.n01, c.n), c.pValue, 1e-9);
      const a = [...Array(c.n10).fill(1), ...Array(c.n01).fill(0), ...Array(c.n - c.n10 - c.n01).fill(1)];
      const b = [...Array(c.n10).fill(0), ...Array(c.n01).fill(1), ...Array(c.n - c.n10 - c.n01).fill(1)];
      const p = intervalPValue(pairedIntervalFamily(a, b, { seed: 0 }));
      expect(Math.abs(p - c.pValue)).toBeLessThan(1e-9);
    }
  });

  it("the studentized bootstrap matches numpy on a recorded index stream", () => {
    for (const c of oracle.studentized) {
      let i = 0;
      const tstar = studentizedReplicates(c.values, c.resamples, () => c.indices[i++]);
      expect(i).toBe(c.indices.length);
      const range: [number, number] = c.unit ? [0, 1] : [-Infinity, Infinity];
      for (const l of c.levels) {
        const r = studentizedInterval(c.values, tstar, l.level, range);
        close(r.low, num(l.low), 1e-9);
        close(r.high, num(l.high), 1e-9);
      }
    }
  });

  it("minDetectableGain matches scipy's brentq", () => {
    for (const c of oracle.power) {
      const g = minDetectableGain(c.n, c.baseline);
      if (c.gain === null) expect(g).toBeNull();
      else close(g as number, c.gain, 1e-9);
    }
  });
});
