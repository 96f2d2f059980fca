import { estimateCost } from "../blackbox/pricing.js";
import type { RunConfig } from "../store/types.js";
import { renderQuery } from "../tasks/templates.js";
import type { TaskSplits } from "../tasks/types.js";
import { apePrompt } from "./ape.js";

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
  /** Estimated dollars (0 for local models; null when the model has no known price). */
  costUsd: number | null;
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
  options: { skipTest?: boolean } = {},
): RunPlan {
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
  const proposalCalls = config.method === "ape" ? config.budget : 0;
  const demoPrompt = apePrompt(
    splits.promptGen.slice(0, 5).map((e) => ({ input: e.input, output: e.answers[0] })),
  );
  const inputTokens = config.budget * v.input + t.input + proposalCalls * tokens(demoPrompt);
  const outputTokens = config.budget * v.output + t.output + proposalCalls * 30;
  const cost = estimateCost(config.target, { inputTokens, outputTokens });
  return {
    evaluations: config.budget,
    maxCalls: validationCalls + testCalls + proposalCalls,
    validationCalls,
    proposalCalls,
    testCalls,
    inputTokens,
    outputTokens,
    costUsd: cost.priced ? cost.costUsd : null,
  };
}
