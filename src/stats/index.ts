/// <reference types="node" preserve="true" />
/** Statistics for honest results: score intervals that hold at small n, paired comparisons, the ship verdict and power plan, sweep summaries. */
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
export {
  type IntervalFamily,
  type IntervalMethod,
  type IntervalOptions,
  intervalPValue,
  meanInterval,
  meanIntervalFamily,
  pairedIntervalFamily,
} from "./interval.js";
export { binomialTwoSidedHalf, isBinary, type McNemarResult, mcnemarExact } from "./mcnemar.js";
export { newcombePairedInterval, type PairedTable, pairedTable } from "./newcombe.js";
export { normalCdf, normalQuantile } from "./normal.js";
export { bonettPriceInterval, bonettPricePValue } from "./paired-wald.js";
export { examplesForGain, minDetectableGain, type PowerOptions } from "./power.js";
export { meanAndSe, studentizedInterval, studentizedReplicates } from "./studentized.js";
export { type MeanStdErr, meanStdErr, type WinTieLoss, winTieLoss } from "./sweep.js";
export { type ShipVerdict, type ShipWord, shipVerdict, type VerdictInput } from "./verdict.js";
export { wilsonInterval } from "./wilson.js";
