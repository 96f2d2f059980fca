/**
 * One Bayesian-optimisation step: standardise the observed values, fit the GP hyperparameters
 * (warm-started), and maximise log-EI with CMA-ES from the best evaluated points to propose a
 * batch of q points. Knows nothing of LLMs: points are vectors in a box, values are maximised.
 *
 * Batch modes:
 * - `reference` (InstructZero): one CMA-ES run from each of the q best points; the q results,
 *   best EI first, duplicates allowed. Runs from different starts often climb the same EI peak, so
 *   several points of a batch probe (nearly) the same place.
 * - `distinct`: no point of the batch lies within `minDistance` of another or of an evaluated point,
 *   and (strategy "penalize") no two points chase the same EI peak. The same CMA-ES runs as
 *   `reference` form a pool of candidates and start points. Strategies (`distinctStrategy`):
 *   - "penalize" (default with the Matern kernel): local penalisation (González et al. 2016,
 *     penalization.ts), one point at a time. Each pick maximises log EI plus the log penalties of the
 *     points picked so far, by CMA-ES from the pool point that scores best under the penalties. The
 *     penalty of a picked point is a soft ball (in lengthscale units) whose radius grows as its
 *     predicted value falls below the best seen: around a promising pick the batch may still refine,
 *     around a poor one it moves elsewhere.
 *   - "dedupe" (default with the coupled kernel): the reference batch in EI order, keeping each point
 *     that respects `minDistance`; a point that does not is replaced by maximising EI under a GP that
 *     has fantasised the points kept so far (kriging believer: variance shrinks around them). Equals
 *     `reference` when the reference batch is already distinct, which it nearly always is.
 *   - "greedy": every pick maximises EI under the kriging-believer fantasy (explores more: the
 *     fantasy lowers EI wherever the GP correlates with a picked point, also around the incumbent).
 *
 * Pending points (`history.pending`: proposed earlier, still being evaluated, e.g. a pipelined run's
 * previous chunk) are no data; every acquisition above is taken given them: "believer" (default)
 * conditions the GP on them at its own mean (variance and EI shrink around them), "penalize" adds their
 * local penalties to log EI. Distinct batches also keep `minDistance` from them.
 *
 * Benchmarks (bench/bo.ts, 10 seeds, 25 Sobol + 5 x 25, Matern; median best value, minimisation),
 * reference / penalize / dedupe / greedy: Levy10 3.42 / 2.18 / 3.42 / 5.98, Ackley10 4.45 / 3.95 /
 * 4.45 / 4.11, Hartmann6 -3.192 / -3.246 / -3.192 / -3.218, Branin 0.399 / 0.398 / 0.398 / 0.398.
 * Why not "penalize" with the coupled kernel: its prior variance vanishes away from the evaluated
 * points, so between them log EI and the penalties are both far out in the Gaussian tail, and the
 * re-optimised picks gather on one EI bump; the reference pool, one CMA-ES run per start, stays
 * spread over the evaluated region. On the instruction surrogate (bench/bo.ts --instructions: 3x
 * over-proposal, then new instructions first, as `optimize --batch-mode distinct`) "penalize" finds
 * the best instruction in 5/10 seeds with 40 new instructions of 125, "dedupe" in 8/10 with 58.5.
 */
import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import { logEiOf } from "./acquisition.js";
import { type CmaesOptions, cmaesMaximize } from "./cmaes.js";
import { fitHyperparameters } from "./fit.js";
import {
  FantasyPosterior,
  type GpHyperparameters,
  GpPosterior,
  type GpTrainingData,
  type KernelKind,
} from "./gp.js";
import { toMatrix } from "./linalg.js";
import type { GpPriors } from "./mll.js";
import { completeScoreVectors } from "./partial.js";
import { LocalPenalizer } from "./penalization.js";
import { sobolPoints } from "./sobol.js";

/** How a batch of q points is formed. */
export type BatchMode = "reference" | "distinct";

/** How `distinct` mode builds its batch (see the module comment). */
export type DistinctStrategy = "penalize" | "dedupe" | "greedy";

/** What the optimiser has evaluated so far. */
export interface BoHistory {
  /** Evaluated points (soft prompts), each of length d, in the search box [-1,1]^d. */
  points: number[][];
  /** Observed values to MAXIMISE (validation score of each point). */
  values: number[];
  /**
   * Optional per-point score vectors (per-example validation scores) for the instruction-coupled kernel.
   * A vector shorter than the longest (length D) is a prefix: the point was scored on its first
   * examples only (racing). Its missing entries are imputed by its mean and its value is a noisier
   * observation (noise variance x D / length), see partial.ts.
   */
  scoreVectors?: number[][];
  /**
   * Optional per-point multipliers (>= 1) of the observation noise variance; by default D / length of
   * each score vector (coupled kernel), else 1.
   */
  noiseScale?: number[];
  /**
   * Points already proposed and being evaluated, whose values are not known yet (a pipelined run:
   * the previous batch's last chunk). Not data: the batch avoids them as it avoids its own points
   * (see `pendingStrategy`), so it does not spend proposals where an answer is already on its way.
   */
  pending?: number[][];
}

/** How the batch accounts for pending points (see {@link BoHistory.pending}). */
export type PendingStrategy = "believer" | "penalize";

/** Options of one proposal step. */
export interface ProposeOptions {
  /** All randomness of this step derives from it. */
  seed: number;
  /** Default "reference" (paper). */
  batchMode?: BatchMode;
  /** Default "coupled" when scoreVectors are given, else "matern". */
  kernel?: KernelKind;
  /** CMA-ES settings (defaults: sigma0 0.8, popSize 50, maxGenerations 10). */
  cmaes?: { sigma0?: number; popSize?: number; maxGenerations?: number };
  /** Hyperparameters from the previous step's result: fit starts there (and runs fewer iterations). */
  warmStart?: GpHyperparameters;
  /** Search box on every coordinate (default [-1, 1]). */
  bounds?: [number, number];
  /** CMA-ES runs, started from this many best points (default q; at least q in `reference` mode). */
  numStarts?: number;
  /** Extra CMA-ES runs started from scrambled Sobol points of the box (default 0, as the reference). */
  sobolStarts?: number;
  /**
   * `distinct` mode: minimum Euclidean distance between a proposal and any other proposal or
   * evaluated point (default 0.001 (hi - lo) sqrt(d): a guard against repeats that leaves room to
   * refine an optimum; keeping the batch spread out is the strategy's job).
   */
  minDistance?: number;
  /**
   * `distinct` mode: "penalize", "dedupe" or "greedy" (see the module comment). Default "penalize"
   * with the Matern kernel, "dedupe" with the coupled kernel.
   */
  distinctStrategy?: DistinctStrategy;
  /**
   * Pending points: "believer" (default) conditions the GP on them at their posterior mean (kriging
   * believer: the variance, hence EI, shrinks around them); "penalize" multiplies EI by their local
   * penalties (penalization.ts).
   */
  pendingStrategy?: PendingStrategy;
  /** Hyperparameter fit settings (see fit.ts). */
  fit?: { randomStarts?: number; maxIterations?: number; priors?: GpPriors };
}

/** A proposed batch. */
export interface Proposal {
  /**
   * q points in the box, in proposal order: best acquisition first in `reference` mode; in `distinct`
   * mode in pick order (the first maximises EI, each later one is the best given those before it),
   * so a prefix of an over-proposed batch is itself a good smaller batch.
   */
  points: number[][];
  /**
   * EI of each point on the standardised scale: under the GP ("penalize": the EI itself, without the
   * penalties), or for a point re-optimised by "dedupe"/"greedy" under the fantasised GP; 0 for a
   * fallback point when no point respected `minDistance`.
   */
  acquisition: number[];
  /** log of `acquisition` (finite where EI underflows). */
  logAcquisition: number[];
  /** Fitted hyperparameters: store them and pass them as the next step's `warmStart`. */
  hyperparameters: GpHyperparameters;
}

/** Values a pick may not take in `distinct` mode score below this. */
const INFEASIBLE = -1e12;

function validate(history: BoHistory, q: number, kernel: KernelKind, bounds: [number, number]): void {
  const { points, values, scoreVectors } = history;
  if (!Number.isInteger(q) || q < 1) throw new UserError(`propose: q = ${q} must be a positive integer`);
  if (!(bounds[1] > bounds[0])) throw new UserError(`propose: bounds [${bounds}] are empty`);
  if (points.length === 0)
    throw new UserError("propose: history.points is empty (evaluate initial points first)");
  if (values.length !== points.length) {
    throw new UserError(`propose: history.values has ${values.length} entries for ${points.length} points`);
  }
  const d = points[0].length;
  if (d === 0) throw new UserError("propose: history.points[0] has no coordinates");
  points.forEach((p, i) => {
    if (p.length !== d)
      throw new UserError(`propose: history.points[${i}] has length ${p.length}, expected ${d}`);
    if (!p.every(Number.isFinite))
      throw new UserError(`propose: history.points[${i}] has a non-finite coordinate`);
  });
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new UserError(`propose: history.values[${i}] = ${v} is not finite`);
  });
  if (kernel === "coupled") {
    if (!scoreVectors) throw new UserError('propose: kernel "coupled" needs history.scoreVectors');
    if (scoreVectors.length !== points.length) {
      throw new UserError(
        `propose: history.scoreVectors has ${scoreVectors.length} entries for ${points.length} points`,
      );
    }
    scoreVectors.forEach((s, i) => {
      // prefixes of different lengths are allowed (partially scored points)
      if (s.length === 0) throw new UserError(`propose: history.scoreVectors[${i}] is empty`);
      if (!s.every(Number.isFinite))
        throw new UserError(`propose: history.scoreVectors[${i}] has a non-finite entry`);
    });
  }
  (history.pending ?? []).forEach((p, i) => {
    if (p.length !== d)
      throw new UserError(`propose: history.pending[${i}] has length ${p.length}, expected ${d}`);
    if (!p.every(Number.isFinite))
      throw new UserError(`propose: history.pending[${i}] has a non-finite coordinate`);
  });
  const w = history.noiseScale;
  if (w !== undefined) {
    if (w.length !== points.length)
      throw new UserError(`propose: history.noiseScale has ${w.length} entries for ${points.length} points`);
    w.forEach((x, i) => {
      if (!(Number.isFinite(x) && x >= 1))
        throw new UserError(`propose: history.noiseScale[${i}] = ${x} must be a finite number >= 1`);
    });
  }
}

/** y standardised as the reference does: (y - mean) / (unbiased std + 1e-9); std 1 when n < 2. */
export function standardize(values: readonly number[]): Float64Array {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 1;
  return Float64Array.from(values, (v) => (v - mean) / (std + 1e-9));
}

function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** Propose q new points to evaluate, given the history. Deterministic given `options.seed`. */
export function propose(history: BoHistory, q: number, options: ProposeOptions): Proposal {
  const bounds = options.bounds ?? [-1, 1];
  const kernel: KernelKind = options.kernel ?? (history.scoreVectors ? "coupled" : "matern");
  validate(history, q, kernel, bounds);
  const mode = options.batchMode ?? "reference";
  if (mode !== "reference" && mode !== "distinct")
    throw new UserError(`propose: unknown batchMode "${mode}"`);
  const strategy = options.distinctStrategy ?? (kernel === "coupled" ? "dedupe" : "penalize");
  if (strategy !== "penalize" && strategy !== "dedupe" && strategy !== "greedy") {
    throw new UserError(`propose: unknown distinctStrategy "${strategy}"`);
  }
  const pendingStrategy = options.pendingStrategy ?? "believer";
  if (pendingStrategy !== "believer" && pendingStrategy !== "penalize")
    throw new UserError(`propose: unknown pendingStrategy "${pendingStrategy}"`);
  const pending = history.pending ?? [];
  const n = history.points.length;
  const d = history.points[0].length;
  const y = standardize(history.values);
  const data: GpTrainingData = { X: toMatrix(history.points, d), y, n, d };
  if (kernel === "coupled") {
    // prefix vectors (partially scored points) completed; their observations are noisier
    const completed = completeScoreVectors(history.scoreVectors!);
    data.scores = completed.scores;
    data.D = completed.D;
    if (completed.partial > 0) data.noiseScale = completed.noiseScale;
  }
  if (history.noiseScale) data.noiseScale = Float64Array.from(history.noiseScale);
  const fit = fitHyperparameters(data, {
    seed: seedFor(options.seed, "fit"),
    kernel,
    warmStart: options.warmStart,
    randomStarts: options.fit?.randomStarts,
    maxIterations: options.fit?.maxIterations,
    priors: options.fit?.priors,
  });
  const posterior = new GpPosterior(data, fit.hyperparameters);
  let bestF = Number.NEGATIVE_INFINITY;
  for (const v of y) bestF = Math.max(bestF, v);
  const cma: CmaesOptions = {
    sigma0: options.cmaes?.sigma0 ?? 0.8,
    popSize: options.cmaes?.popSize ?? 50,
    maxGenerations: options.cmaes?.maxGenerations ?? 10,
    bounds,
  };

  // pending points: fantasised (kriging believer) or penalised, in every acquisition below
  const believed = new FantasyPosterior(posterior);
  let pendingPenalty: ((X: Float64Array, m: number) => Float64Array) | null = null;
  if (pending.length > 0 && pendingStrategy === "believer") for (const p of pending) believed.add(p);
  else if (pending.length > 0) {
    const samples = [
      ...history.points,
      ...pending,
      ...sobolPoints(256, d, seedFor(options.seed, "pending:lipschitz"), bounds),
    ];
    const penalizer = new LocalPenalizer(posterior, bestF, toMatrix(samples, d), samples.length);
    for (const p of pending) penalizer.add(p);
    pendingPenalty = (X, m) => penalizer.logPenalty(X, m);
  }
  /** log EI given the pending points, under a posterior that may hold further fantasies. */
  const logEiGivenPending = (predictor: { predict: GpPosterior["predict"] }, X: Float64Array, m: number) => {
    const v = logEiOf(predictor.predict(X, m), bestF);
    if (pendingPenalty) {
      const pen = pendingPenalty(X, m);
      for (let a = 0; a < m; a++) v[a] += pen[a];
    }
    return v;
  };

  // CMA-ES from the best points (ties broken by index), one run per start.
  const ranked = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[b] - y[a] || a - b);
  const numStarts = Math.max(options.numStarts ?? q, mode === "reference" ? q : 1);
  const baseObjective = (X: Float64Array, m: number) => logEiGivenPending(believed, X, m);
  const pool: { x: number[]; value: number }[] = [];
  for (let s = 0; s < numStarts; s++) {
    const start = history.points[ranked[s % n]];
    const r = cmaesMaximize(baseObjective, start, new Rng(seedFor(options.seed, `cmaes:${s}`)), cma);
    pool.push({ x: r.x, value: r.value });
  }
  const extra = options.sobolStarts ?? 0;
  if (extra > 0) {
    const starts = sobolPoints(extra, d, seedFor(options.seed, "sobol-starts"), bounds);
    starts.forEach((start, s) => {
      const r = cmaesMaximize(baseObjective, start, new Rng(seedFor(options.seed, `cmaes-sobol:${s}`)), cma);
      pool.push({ x: r.x, value: r.value });
    });
  }

  if (mode === "reference") {
    const order = pool.map((_, i) => i).sort((a, b) => pool[b].value - pool[a].value || a - b);
    const chosen = order.slice(0, q).map((i) => pool[i]);
    return {
      points: chosen.map((c) => c.x),
      acquisition: chosen.map((c) => Math.exp(c.value)),
      logAcquisition: chosen.map((c) => c.value),
      hyperparameters: fit.hyperparameters,
    };
  }

  // distinct: picks one at a time, under local penalties or a fantasised GP, with a minimum distance.
  const minDistance = options.minDistance ?? 0.001 * (bounds[1] - bounds[0]) * Math.sqrt(d);
  const picked: number[][] = [];
  const logAcq: number[] = [];
  const fallback = sobolPoints(256, d, seedFor(options.seed, "distinct:fallback"), bounds);
  const violation = (x: ArrayLike<number>): number => {
    let worst = 0;
    for (const p of history.points) worst = Math.max(worst, minDistance - dist(x, p));
    for (const p of pending) worst = Math.max(worst, minDistance - dist(x, p));
    for (const p of picked) worst = Math.max(worst, minDistance - dist(x, p));
    return worst;
  };
  // The acquisition of the next pick given the picks so far, and how a pick updates it.
  let acquisition: (X: Float64Array, m: number) => Float64Array;
  let addPick: (x: number[]) => void;
  if (strategy === "penalize") {
    const samples = [
      ...history.points,
      ...pool.map((p) => p.x),
      ...sobolPoints(256, d, seedFor(options.seed, "distinct:lipschitz"), bounds),
    ];
    const penalizer = new LocalPenalizer(posterior, bestF, toMatrix(samples, d), samples.length);
    acquisition = (X, m) => {
      const v = baseObjective(X, m);
      const pen = penalizer.logPenalty(X, m);
      for (let a = 0; a < m; a++) v[a] += pen[a];
      return v;
    };
    addPick = (x) => penalizer.add(x);
  } else {
    const fantasy = new FantasyPosterior(posterior);
    if (pendingPenalty === null) for (const p of pending) fantasy.add(p);
    acquisition = (X, m) => logEiGivenPending(fantasy, X, m);
    addPick = (x) => fantasy.add(x);
  }
  const objective = (X: Float64Array, m: number): Float64Array => {
    const v = acquisition(X, m);
    for (let a = 0; a < m; a++) {
      const viol = violation(X.subarray(a * d, a * d + d));
      if (viol > 0) v[a] = INFEASIBLE - viol;
    }
    return v;
  };
  const scoreRows = (rows: number[][]): Float64Array => objective(toMatrix(rows, d), rows.length);
  const poolOrder = pool.map((_, i) => i).sort((a, b) => pool[b].value - pool[a].value || a - b);
  for (let j = 0; j < q; j++) {
    if (strategy === "dedupe" && j < poolOrder.length) {
      const cand = pool[poolOrder[j]];
      if (violation(cand.x) <= 0) {
        picked.push(cand.x.slice());
        addPick(cand.x);
        logAcq.push(cand.value);
        continue;
      }
    }
    const poolScores = scoreRows(pool.map((p) => p.x));
    let bi = 0;
    for (let i = 1; i < pool.length; i++) if (poolScores[i] > poolScores[bi]) bi = i;
    let best = { x: pool[bi].x, value: poolScores[bi] };
    const r = cmaesMaximize(objective, best.x, new Rng(seedFor(options.seed, `distinct:${j}`)), cma);
    if (r.value > best.value) best = { x: r.x, value: r.value };
    if (best.value <= INFEASIBLE) {
      const fb = scoreRows(fallback);
      let fi = 0;
      for (let i = 1; i < fallback.length; i++) if (fb[i] > fb[fi]) fi = i;
      best = { x: fallback[fi], value: fb[fi] };
    }
    picked.push(best.x.slice());
    addPick(best.x);
    if (best.value <= INFEASIBLE) logAcq.push(Number.NEGATIVE_INFINITY);
    else if (strategy === "penalize") logAcq.push(baseObjective(Float64Array.from(best.x), 1)[0]);
    else logAcq.push(best.value);
  }
  return {
    points: picked,
    acquisition: logAcq.map(Math.exp),
    logAcquisition: logAcq,
    hyperparameters: fit.hyperparameters,
  };
}
