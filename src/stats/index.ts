/// <reference types="node" preserve="true" />
/** Statistics for honest results: bootstrap intervals, paired comparisons, sweep summaries. */
export {
  type BootstrapOptions,
  bootstrapMeanCI,
  bootstrapMeans,
  DEFAULT_LEVEL,
  DEFAULT_RESAMPLES,
  type DiffInterval,
  type MeanInterval,
  mean,
  pairedBootstrapDiffCI,
  percentileInterval,
  quantileSorted,
} from "./bootstrap.js";
export {
  type Comparison,
  type ComparisonOptions,
  type ComparisonTest,
  type ComparisonVerdict,
  compareScores,
  describeComparison,
  formatSigned,
} from "./compare.js";
export { binomialTwoSidedHalf, isBinary, type McNemarResult, mcnemarExact } from "./mcnemar.js";
export { type MeanStdErr, meanStdErr, type WinTieLoss, winTieLoss } from "./sweep.js";
