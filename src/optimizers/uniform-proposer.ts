import { Rng, seedFor } from "../util/rng.js";
import type { PointProposer } from "./types.js";

/** Uniform random soft prompts in [-1, 1]^d, one seeded stream per batch (the "uniform" baseline). */
export function createUniformPointProposer(): PointProposer {
  const draw = (n: number, d: number, seed: number, it: number) => {
    const rng = new Rng(seedFor(seed, `uniform:${it}`));
    return Array.from({ length: n }, () => Array.from({ length: d }, () => 2 * rng.uniform() - 1));
  };
  return {
    usesHistory: false,
    initial: (n, dim, seed) => draw(n, dim, seed, 0),
    next: (_history, q, options) => ({ points: draw(q, options.dim, options.runSeed, options.iteration) }),
  };
}
