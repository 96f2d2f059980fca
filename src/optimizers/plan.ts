import { estimateCost, type PriceTable, resolvePrices } from "../blackbox/pricing.js";
import { JUDGE_MAX_TOKENS, renderJudgePrompt } from "../metrics/judge.js";
import { metricExample } from "../metrics/scorer.js";
import type { RunConfig } from "../store/types.js";
import { renderQuery } from "../tasks/templates.js";
import type { TaskSplits } from "../tasks/types.js";
import { apePrompt } from "./ape.js";
import { getMethod } from "./methods/index.js";
import { judgeModelOf } from "./run-config.js";

/** What a run will spend at most, estimated before spending anything (`--dry-run`). */
export interface RunPlan {
  evaluations: number;
  /** Upper bound on black-box calls: every candidate scored on every validation example, plus the test. */
  maxCalls: number;
  validationCalls: number;
  proposalCalls: number;
  testCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Estimated dollars of the black box (0 for local models; null when the model has no known price). */
  costUsd: number | null;
  /** LLM-judge calls (one per scored answer) and their estimated tokens and dollars (0 without a judge). */
  judgeCalls: number;
  judgeInputTokens: number;
  judgeOutputTokens: number;
  judgeCostUsd: number | null;
  /** Black box + judge (null when either has no known price). */
  totalCostUsd: number | null;
}

/** Rough token count (4 characters per token), the same rule for every provider. */
function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A typical instruction length used for the estimate (tokens ~ 20). */
const TYPICAL_INSTRUCTION = "x".repeat(80);

/**
 * Estimate calls, tokens and dollars of a run. Calls are an upper bound (repeated instructions are not
 * re-queried and cached answers cost nothing); tokens use 4 characters per token and the answers' length
 * (capped by the answer-token limit) for outputs.
 */
export function planRun(
  config: RunConfig,
  splits: TaskSplits,
  options: { skipTest?: boolean; env?: NodeJS.ProcessEnv; prices?: PriceTable } = {},
): RunPlan {
  const prices = resolvePrices(options.prices, options.env ?? process.env);
  const maxTokens = Number(config.maxTokens ?? 64);
  const perQuery = (set: TaskSplits["validation"], template: "validation" | "test") => {
    let input = 0;
    let output = 0;
    for (const ex of set) {
      input += tokens(renderQuery(TYPICAL_INSTRUCTION, ex.input, template));
      output += Math.min(maxTokens, tokens(ex.answers[0] ?? "") + 2);
    }
    return { input, output };
  };
  const v = perQuery(splits.validation, "validation");
  const t = options.skipTest ? { input: 0, output: 0 } : perQuery(splits.test, "test");
  const validationCalls = config.budget * splits.validation.length;
  const testCalls = options.skipTest ? 0 : splits.test.length;
  const proposalCalls = getMethod(config.method).proposalCalls(config);
  const demoPrompt = apePrompt(
    splits.promptGen.slice(0, 5).map((e) => ({ input: e.input, output: e.answers[0] })),
  );
  const inputTokens = config.budget * v.input + t.input + proposalCalls * tokens(demoPrompt);
  const outputTokens = config.budget * v.output + t.output + proposalCalls * 30;
  const cost = estimateCost(config.target, { inputTokens, outputTokens }, prices);
  // judge: one call per scored answer (validation for every evaluation, then the test)
  const judgeModel = judgeModelOf(config);
  let judge = { calls: 0, input: 0, output: 0, cost: 0 as number | null };
  if (judgeModel) {
    const per = (set: TaskSplits["validation"]) =>
      set.reduce(
        (a, ex) => a + tokens(renderJudgePrompt(config.rubric ?? "", metricExample(ex), ex.answers[0] ?? "")),
        0,
      );
    const calls = validationCalls + testCalls;
    const input = config.budget * per(splits.validation) + (options.skipTest ? 0 : per(splits.test));
    const output = calls * Math.min(JUDGE_MAX_TOKENS, 40);
    const c = estimateCost(judgeModel, { inputTokens: input, outputTokens: output }, prices);
    judge = { calls, input, output, cost: c.priced ? c.costUsd : null };
  }
  const own = cost.priced ? cost.costUsd : null;
  return {
    evaluations: config.budget,
    maxCalls: validationCalls + testCalls + proposalCalls,
    validationCalls,
    proposalCalls,
    testCalls,
    inputTokens,
    outputTokens,
    costUsd: own,
    judgeCalls: judge.calls,
    judgeInputTokens: judge.input,
    judgeOutputTokens: judge.output,
    judgeCostUsd: judge.cost,
    totalCostUsd: own === null || judge.cost === null ? null : own + judge.cost,
  };
}
