import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootstrapMeans, percentileInterval, quantileSorted } from "../../src/stats/bootstrap.js";
import { mcnemarExact } from "../../src/stats/mcnemar.js";
import { meanStdErr } from "../../src/stats/sweep.js";

interface Oracle {
  mcnemar: { table: number[]; a: number[]; b: number[]; b01: number; b10: number; pValue: number }[];
  meanStdErr: { xs: number[]; mean: number; stdErr: number | null }[];
  quantiles: { xs: number[]; qs: number[]; values: number[] }[];
  bootstrap: {
    a: number[];
    b: number[];
    resamples: number;
    indices: number[];
    mean: number;
    diff: number;
    levels: { level: number; meanLow: number; meanHigh: number; diffLow: number; diffHigh: number }[];
  }[];
}

const oracle: Oracle = JSON.parse(
  readFileSync(new URL("../fixtures/stats/oracle.json", import.meta.url), "utf8"),
);

function close(actual: number, expected: number, rel = 1e-10): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-300));
}

describe("stats against the numpy/scipy oracle (scripts/oracles/stats_oracle.py)", () => {
  it.each(oracle.mcnemar.map((c) => [c.table.join("/"), c] as const))(
    "mcnemarExact matches scipy.stats.binomtest for table n00/n01/n10/n11 = %s",
    (_name, c) => {
      const r = mcnemarExact(c.a, c.b);
      expect(r.b01).toBe(c.b01);
      expect(r.b10).toBe(c.b10);
      close(r.pValue, c.pValue);
      // Swapping the two systems swaps the counts, not the p-value.
      const s = mcnemarExact(c.b, c.a);
      expect([s.b01, s.b10]).toEqual([c.b10, c.b01]);
      close(s.pValue, c.pValue);
    },
  );

  it("meanStdErr matches numpy.mean and scipy.stats.sem", () => {
    for (const c of oracle.meanStdErr) {
      const r = meanStdErr(c.xs);
      expect(r.n).toBe(c.xs.length);
      close(r.mean, c.mean, 1e-12);
      if (c.stdErr === null) expect(r.stdErr).toBeNaN();
      else if (c.stdErr === 0) expect(r.stdErr).toBe(0);
      else close(r.stdErr, c.stdErr, 1e-6); // the 1e6-offset case loses digits in either implementation
    }
  });

  it("quantileSorted matches numpy.quantile (linear)", () => {
    for (const c of oracle.quantiles) {
      const sorted = [...c.xs].sort((x, y) => x - y);
      c.qs.forEach((q, i) => {
        close(quantileSorted(sorted, q), c.values[i], 1e-12);
      });
    }
  });

  it("replays numpy's index stream to the same percentile intervals (mean and paired difference)", () => {
    for (const c of oracle.bootstrap) {
      const d = c.a.map((x, i) => x - c.b[i]);
      const replay = () => {
        let k = 0;
        return (n: number) => {
          const i = c.indices[k++];
          if (!(i >= 0 && i < n)) throw new Error(`index ${i} out of range`);
          return i;
        };
      };
      for (const l of c.levels) {
        const ma = percentileInterval(bootstrapMeans(c.a, c.resamples, replay()), l.level);
        close(ma.low, l.meanLow, 1e-9);
        close(ma.high, l.meanHigh, 1e-9);
        const md = percentileInterval(bootstrapMeans(d, c.resamples, replay()), l.level);
        expect(Math.abs(md.low - l.diffLow)).toBeLessThan(1e-12);
        expect(Math.abs(md.high - l.diffHigh)).toBeLessThan(1e-12);
      }
    }
  });
});
