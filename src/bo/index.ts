/// <reference types="node" preserve="true" />
/**
 * Bayesian-optimisation engine: GP with Matern-5/2 or instruction-coupled kernel, MAP fit,
 * (log) Expected Improvement, CMA-ES, scrambled Sobol. `propose` is the step an optimiser calls.
 */
export { expectedImprovement, logExpectedImprovement } from "./acquisition.js";
export { type CmaesOptions, type CmaesResult, cmaesMaximize, cmaesMinimize } from "./cmaes.js";
export { type FitOptions, type FitResult, fitHyperparameters } from "./fit.js";
export {
  FantasyPosterior,
  type GpHyperparameters,
  GpPosterior,
  type GpTrainingData,
  type KernelKind,
  type PosteriorPrediction,
} from "./gp.js";
export { type GammaPrior, type GpPriors, marginalLogLikelihood, REFERENCE_PRIORS } from "./mll.js";
export { type NovelSelection, selectNovel } from "./novelty.js";
export { type CompletedScores, completeScoreVectors } from "./partial.js";
export { LocalPenalizer } from "./penalization.js";
export {
  type BatchMode,
  type BoHistory,
  type DistinctStrategy,
  type PendingStrategy,
  type Proposal,
  type ProposeOptions,
  propose,
  standardize,
} from "./propose.js";
export { Sobol, sobolPoints } from "./sobol.js";
