/** The test phase: the winner scored once on the test split, with a 95% interval. */
import { evaluateInstruction } from "../../evaluation/evaluate.js";
import type { TestResult } from "../../store/types.js";
import type { Demo, Example } from "../../tasks/types.js";
import type { MethodContext } from "../types.js";
import { testInterval } from "./baselines.js";

/**
 * Score `instruction` (with `demos`: the run's fixed demonstrations by default) on the `test` examples
 * with the run's (budgeted) black box and metric (`postSearch: "full"`; the adaptive verdict's test is
 * ./sequential-test.ts).
 */
export async function scoreTest(
  ctx: MethodContext,
  instruction: string,
  all: readonly Example[],
  demos: readonly Demo[] = ctx.targetDemos ?? [],
): Promise<TestResult> {
  const test = all;
  const ev = await evaluateInstruction(ctx.blackBox, instruction, test, {
    metric: ctx.metric,
    template: "test",
    split: "test",
    maxTokens: ctx.maxTokens,
    demos,
    phase: "test",
  });
  const feedback = ev.examples.some((e) => e.feedback !== undefined)
    ? ev.examples.map((e) => e.feedback ?? null)
    : undefined;
  const ci = testInterval(ev.scores, ctx.config.seed, "winner");
  return {
    score: ev.score,
    scores: ev.scores,
    low: ci.low,
    high: ci.high,
    outputs: ev.examples.map((e) => e.output),
    inputs: test.map((e) => e.input),
    answers: test.map((e) => e.answers),
    ...(feedback ? { feedback } : {}),
    usage: {
      calls: ev.calls,
      cacheHits: ev.cacheHits,
      inputTokens: ev.inputTokens,
      outputTokens: ev.outputTokens,
      costUsd: ev.costUsd,
    },
    ...(ev.judge.calls + ev.judge.cacheHits > 0 ? { judge: ev.judge } : {}),
  };
}
