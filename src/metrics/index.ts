/// <reference types="node" preserve="true" />
/** "instructzero/metrics": metric functions, the LLM judge and the scorers the evaluation uses. */
export {
  createJudgeScorer,
  JUDGE_MAX_TOKENS,
  JUDGE_PROMPT,
  judgeMetric,
  parseJudgeAnswer,
  renderJudgePrompt,
} from "./judge.js";
export { builtinScorer, functionScorer } from "./scorer.js";
export type {
  JudgeMetric,
  JudgeMetricOptions,
  JudgeUsage,
  MetricExample,
  MetricFunction,
  MetricSpec,
  MetricValue,
  ScoredAnswer,
  Scorer,
} from "./types.js";
