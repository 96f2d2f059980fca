import type { GpHyperparameters, PendingStrategy } from "../bo/index.js";
import { propose, sobolPoints } from "../bo/index.js";
import type { PointProposer } from "./types.js";

/**
 * The Bayesian-optimisation point proposer: scrambled Sobol initial design in [-1, 1]^d, then a GP with the
 * instruction-coupled kernel (per-example validation scores) and batch Expected Improvement maximised by
 * CMA-ES; pending points (a pipelined run's soft prompts still being scored) are fantasised at their
 * posterior mean. The fitted hyperparameters are returned as state and warm-start the next step.
 */
export function createBoPointProposer(options: { pendingStrategy?: PendingStrategy } = {}): PointProposer {
  return {
    initial: (n, dim, seed) => sobolPoints(n, dim, seed, [-1, 1]),
    next(history, q, step) {
      const p = propose(
        {
          points: history.points,
          values: history.values,
          scoreVectors: history.scoreVectors,
          pending: history.pending,
        },
        q,
        {
          seed: step.seed,
          batchMode: step.batchMode,
          kernel: "coupled",
          warmStart: step.warmStart as GpHyperparameters | undefined,
          pendingStrategy: options.pendingStrategy,
        },
      );
      return { points: p.points, state: p.hyperparameters };
    },
  };
}
