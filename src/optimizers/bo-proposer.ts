import type { GpHyperparameters } from "../bo/index.js";
import { propose, sobolPoints } from "../bo/index.js";
import type { PointProposer } from "./types.js";

/**
 * The Bayesian-optimisation point proposer: scrambled Sobol initial design in [-1, 1]^d, then a GP with the
 * instruction-coupled kernel (per-example validation scores) and batch Expected Improvement maximised by
 * CMA-ES. The fitted hyperparameters are returned as state and warm-start the next step.
 */
export function createBoPointProposer(): PointProposer {
  return {
    initial: (n, dim, seed) => sobolPoints(n, dim, seed, [-1, 1]),
    next(history, q, options) {
      const p = propose(
        { points: history.points, values: history.values, scoreVectors: history.scoreVectors },
        q,
        {
          seed: options.seed,
          batchMode: options.batchMode,
          kernel: "coupled",
          warmStart: options.warmStart as GpHyperparameters | undefined,
        },
      );
      return { points: p.points, state: p.hyperparameters };
    },
  };
}
