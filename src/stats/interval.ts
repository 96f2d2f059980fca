/**
 * Score intervals that hold at small n, and the test that goes with them.
 *
 * - Mean score: 0/1 scores get the Wilson score interval (./wilson.ts); graded scores the studentized
 *   bootstrap (./studentized.ts).
 * - Paired difference winner - baseline: both 0/1, the Bonett-Price adjusted Wald interval
 *   (./paired-wald.ts); otherwise the studentized bootstrap of the per-example differences.
 * - The test is the interval: at level 1 - alpha, "the difference is not 0" exactly when the interval
 *   excludes 0, and the p-value is the smallest alpha at which it does (the interval family inverted by
 *   bisection, on the same resamples), so a verdict and its interval can never disagree.
 * Coverage and type-I error at n = 10, 20, 50, 100 are measured by `npm run bench:verdict` (README,
 * Statistics). Deterministic: the only randomness is a {@link Rng} seeded with `seed`.
 */
import { Rng } from "../util/rng.js";
import { DEFAULT_LEVEL, DEFAULT_RESAMPLES, mean } from "./bootstrap.js";
import { isBinary } from "./mcnemar.js";
import { pairedTable } from "./newcombe.js";
import { bonettPriceInterval } from "./paired-wald.js";
import { studentizedInterval, studentizedReplicates } from "./studentized.js";
import { wilsonInterval } from "./wilson.js";

export type IntervalMethod = "wilson" | "bonett-price" | "studentized-bootstrap";

export interface IntervalOptions {
  /** Seed of the resampling (graded scores). */
  seed: number;
  /** Confidence level (default 0.95). */
  level?: number;
  /** Bootstrap resamples (default 10,000). */
  resamples?: number;
}

/** An estimate with its interval at every level: `at(level)` (used to invert it into a test). */
export interface IntervalFamily {
  estimate: number;
  method: IntervalMethod;
  at(level: number): { low: number; high: number };
}

/** The mean of `values` and its interval (Wilson for 0/1, bootstrap-t otherwise) at `level`. */
export function meanInterval(
  values: readonly number[],
  options: IntervalOptions,
): { mean: number; low: number; high: number; method: IntervalMethod } {
  const f = meanIntervalFamily(values, options);
  return { mean: f.estimate, ...f.at(options.level ?? DEFAULT_LEVEL), method: f.method };
}

/** The interval family of a mean (see {@link meanInterval}). */
export function meanIntervalFamily(values: readonly number[], options: IntervalOptions): IntervalFamily {
  checkValues(values, "meanInterval");
  const m = mean(values);
  if (isBinary(values)) {
    const k = values.reduce((s, x) => s + x, 0);
    return {
      estimate: m,
      method: "wilson",
      at: (level) => wilsonInterval(k, values.length, checkLevel(level)),
    };
  }
  return bootstrapT(values, options, unitRange(values) ? [0, 1] : [-Infinity, Infinity]);
}

/** The paired difference mean(a - b) and its interval family (Bonett-Price for 0/1, bootstrap-t otherwise). */
export function pairedIntervalFamily(
  a: readonly number[],
  b: readonly number[],
  options: IntervalOptions,
): IntervalFamily {
  if (a.length !== b.length)
    throw new RangeError(`pairedInterval: paired lists differ in length (${a.length} vs ${b.length})`);
  checkValues(a, "pairedInterval");
  checkValues(b, "pairedInterval");
  if (isBinary(a) && isBinary(b)) {
    const t = pairedTable(a, b);
    const diff = (t.n10 - t.n01) / a.length;
    return {
      estimate: diff,
      method: "bonett-price",
      at: (level) => {
        const r = bonettPriceInterval(t.n10, t.n01, a.length, checkLevel(level));
        return { low: r.low, high: r.high };
      },
    };
  }
  const d = a.map((x, i) => x - b[i]);
  return bootstrapT(d, options, unitRange(a) && unitRange(b) ? [-1, 1] : [-Infinity, Infinity]);
}

/**
 * The two-sided p-value of "estimate = 0" read off an interval family: the smallest alpha at which
 * the interval at level 1 - alpha excludes 0 (bisection to 1e-12; 1 when it never does). By
 * construction, p < alpha exactly when the interval at 1 - alpha excludes 0 (up to the bisection's
 * tolerance).
 */
export function intervalPValue(f: IntervalFamily): number {
  const excludes = (alpha: number) => {
    const { low, high } = f.at(1 - alpha);
    return low > 0 || high < 0;
  };
  if (!excludes(1 - 1e-9)) return 1;
  let lo = 0;
  let hi = 1 - 1e-9;
  while (hi - lo > 1e-12) {
    const mid = (lo + hi) / 2;
    if (excludes(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

function bootstrapT(
  values: readonly number[],
  options: IntervalOptions,
  range: [number, number],
): IntervalFamily {
  const m = mean(values);
  if (values.length < 2)
    return { estimate: m, method: "studentized-bootstrap", at: () => ({ low: range[0], high: range[1] }) };
  const rng = new Rng(options.seed);
  const tstar = studentizedReplicates(values, options.resamples ?? DEFAULT_RESAMPLES, (n) =>
    rng.int(0, n - 1),
  );
  return {
    estimate: m,
    method: "studentized-bootstrap",
    at: (level) => studentizedInterval(values, tstar, checkLevel(level), range),
  };
}

function unitRange(xs: readonly number[]): boolean {
  for (const x of xs) if (x < 0 || x > 1) return false;
  return true;
}

function checkLevel(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  return level;
}

function checkValues(xs: readonly number[], where: string): void {
  if (xs.length === 0) throw new RangeError(`${where}: empty list`);
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`${where}: non-finite value ${x}`);
}
