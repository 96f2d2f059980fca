/**
 * The verdict at small n (issue 20, item 4): coverage of the score intervals and type-I error of the
 * better/worse verdict, measured by simulation at n = 10, 20, 50, 100 (prints a markdown table; not a
 * test). Each row is one simulated situation, seeded; "new" is src/stats as it is (Wilson,
 * Bonett-Price, studentized bootstrap, verdict read off the interval), "old" the rules before (percentile bootstrap
 * intervals; exact McNemar for 0/1 verdicts, the percentile interval for graded ones). Paired 0/1 rows also
 * show Newcombe's hybrid score interval (the first choice, replaced by Bonett-Price for its
 * undercoverage at small n).
 *
 * Rows:
 *   - mean 0/1, accuracy p: coverage of the 95% interval of a mean of n Bernoulli(p) scores;
 *   - mean graded: coverage for f1-like scores (1 with prob. 0.25, 0 with 0.1, else uniform on [0.3, 1]
 *     rounded to 0.05), the true mean taken from 10^6 draws;
 *   - paired 0/1, H0: type-I error (share of "better"/"worse") when both instructions have accuracy 0.7
 *     and disagree on 20% of examples (10% each way); paired 0/1 coverage: the same with a gain of 0.1
 *     (15% / 5% discordant);
 *   - paired graded, H0: type-I error when both instructions score a shared f1-like example score plus
 *     independent N(0, 0.15^2) noise (clipped, rounded to 0.05; exchangeable, so the true difference is
 *     0); paired graded coverage: the first with +0.1 added before clipping (true difference from
 *     10^6 draws).
 * Nominal: coverage 0.95, type-I 0.05. Monte Carlo error: about +-0.01 at 2,000 repetitions, +-0.02 at
 * 500.
 *
 * Usage: npm run bench:verdict -- [--reps 2000] [--boot-reps 500] [--resamples 1000] [--seed 1]
 */
import { bootstrapMeanCI, pairedBootstrapDiffCI } from "../src/stats/bootstrap.js";
import { compareScores } from "../src/stats/compare.js";
import { meanInterval } from "../src/stats/interval.js";
import { mcnemarExact } from "../src/stats/mcnemar.js";
import { newcombePairedInterval, pairedTable } from "../src/stats/newcombe.js";
import { Rng, seedFor } from "../src/util/rng.js";

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const REPS = opt("reps", 2000);
const BOOT_REPS = opt("boot-reps", 500);
const RESAMPLES = opt("resamples", 1000);
const SEED = opt("seed", 1);
const NS = [10, 20, 50, 100];

const f1Like = (rng: Rng) => {
  const u = rng.uniform();
  if (u < 0.25) return 1;
  if (u < 0.35) return 0;
  return Math.round(20 * (0.3 + 0.7 * rng.uniform())) / 20;
};
const clip01 = (x: number) => Math.round(20 * Math.min(1, Math.max(0, x))) / 20;
const pairGraded = (rng: Rng, gain: number): [number, number] => {
  const s = f1Like(rng);
  return [clip01(s + gain + 0.15 * rng.normal()), clip01(s + 0.15 * rng.normal())];
};
const pairBinary = (rng: Rng, p10: number, p01: number, p11: number): [number, number] => {
  const u = rng.uniform();
  if (u < p10) return [1, 0];
  if (u < p10 + p01) return [0, 1];
  if (u < p10 + p01 + p11) return [1, 1];
  return [0, 0];
};
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const bigMean = (f: (rng: Rng) => number) => {
  const rng = new Rng(seedFor(SEED, "truth"));
  let s = 0;
  for (let i = 0; i < 1e6; i++) s += f(rng);
  return s / 1e6;
};

interface Row {
  name: string;
  what: "coverage" | "type-I";
  reps: number;
  run(rng: Rng, n: number, seed: number): { oldHit: boolean; newHit: boolean; altHit?: boolean };
}

const TRUE_F1 = bigMean(f1Like);
const TRUE_PAIR_GRADED = bigMean((rng) => {
  const [a, b] = pairGraded(rng, 0.1);
  return a - b;
});

const rows: Row[] = [];
for (const p of [0.5, 0.8, 0.95])
  rows.push({
    name: `mean 0/1, accuracy ${p}`,
    what: "coverage",
    reps: REPS,
    run(rng, n, seed) {
      const xs = Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
      const o = bootstrapMeanCI(xs, { seed, resamples: RESAMPLES });
      const w = meanInterval(xs, { seed });
      return { oldHit: o.low <= p && p <= o.high, newHit: w.low <= p && p <= w.high };
    },
  });
rows.push({
  name: "mean graded (f1-like)",
  what: "coverage",
  reps: BOOT_REPS,
  run(rng, n, seed) {
    const xs = Array.from({ length: n }, () => f1Like(rng));
    const o = bootstrapMeanCI(xs, { seed, resamples: RESAMPLES });
    const w = meanInterval(xs, { seed, resamples: RESAMPLES });
    return { oldHit: o.low <= TRUE_F1 && TRUE_F1 <= o.high, newHit: w.low <= TRUE_F1 && TRUE_F1 <= w.high };
  },
});
const binaryPaired = (name: string, what: Row["what"], p10: number, p01: number) =>
  rows.push({
    name,
    what,
    reps: REPS,
    run(rng, n, seed) {
      const pairs = Array.from({ length: n }, () => pairBinary(rng, p10, p01, 0.7 - p10));
      const a = pairs.map((x) => x[0]);
      const b = pairs.map((x) => x[1]);
      const c = compareScores(a, b, { seed, resamples: RESAMPLES });
      const nc = newcombePairedInterval(pairedTable(a, b), 0.95);
      const d = p10 - p01;
      if (what === "type-I")
        return {
          oldHit: mcnemarExact(a, b).pValue < 0.05,
          newHit: c.verdict !== "indistinguishable",
          altHit: nc.low > 0 || nc.high < 0,
        };
      const o = pairedBootstrapDiffCI(a, b, { seed, resamples: RESAMPLES });
      return {
        oldHit: o.low <= d && d <= o.high,
        newHit: c.low <= d && d <= c.high,
        altHit: nc.low <= d && d <= nc.high,
      };
    },
  });
binaryPaired("paired 0/1, H0 (10% / 10% discordant)", "type-I", 0.1, 0.1);
binaryPaired("paired 0/1, H0 (20% / 20% discordant)", "type-I", 0.2, 0.2);
binaryPaired("paired 0/1, gain 0.1 (15% / 5% discordant)", "coverage", 0.15, 0.05);
binaryPaired("paired 0/1, gain 0.2 (25% / 5% discordant)", "coverage", 0.25, 0.05);
const gradedPaired = (name: string, what: Row["what"], gain: number) =>
  rows.push({
    name,
    what,
    reps: BOOT_REPS,
    run(rng, n, seed) {
      const pairs = Array.from({ length: n }, () => pairGraded(rng, gain));
      const a = pairs.map((x) => x[0]);
      const b = pairs.map((x) => x[1]);
      const o = pairedBootstrapDiffCI(a, b, { seed, resamples: RESAMPLES });
      const c = compareScores(a, b, { seed, resamples: RESAMPLES });
      if (what === "type-I")
        return { oldHit: o.low > 0 || o.high < 0, newHit: c.verdict !== "indistinguishable" };
      const d = TRUE_PAIR_GRADED;
      return { oldHit: o.low <= d && d <= o.high, newHit: c.low <= d && d <= c.high };
    },
  });
gradedPaired("paired graded, H0 (exchangeable)", "type-I", 0);
gradedPaired("paired graded, gain ~0.1", "coverage", 0.1);

const t0 = performance.now();
console.log(
  `Verdict at small n: 95% intervals (nominal coverage 0.95) and the better/worse verdict (nominal type-I 0.05); old -> new (N: Newcombe); seed ${SEED}, ${RESAMPLES} bootstrap resamples.`,
);
console.log("");
console.log(`| situation | measured | reps | ${NS.map((n) => `n = ${n}`).join(" | ")} |`);
console.log(`|---|---|---|${NS.map(() => "---|").join("")}`);
for (const row of rows) {
  const cells: string[] = [];
  for (const n of NS) {
    const rng = new Rng(seedFor(SEED, `${row.name}:${n}`));
    let oldHits = 0;
    let newHits = 0;
    let altHits = 0;
    let alt = false;
    for (let r = 0; r < row.reps; r++) {
      const h = row.run(rng, n, seedFor(SEED, `${row.name}:${n}:${r}`));
      if (h.oldHit) oldHits++;
      if (h.newHit) newHits++;
      if (h.altHit !== undefined) alt = true;
      if (h.altHit) altHits++;
    }
    const f = (k: number) => (k / row.reps).toFixed(3);
    cells.push(`${f(oldHits)} -> ${f(newHits)}${alt ? ` (N ${f(altHits)})` : ""}`);
  }
  console.log(`| ${row.name} | ${row.what} | ${row.reps} | ${cells.join(" | ")} |`);
}
console.log("");
console.log(
  `(${((performance.now() - t0) / 1000).toFixed(1)} s; mean ${meanOf([TRUE_F1]).toFixed(4)} for f1-like, paired graded gain ${TRUE_PAIR_GRADED.toFixed(4)})`,
);
