/** The test phase: the winner scored once on the test split, with a 95% bootstrap interval. */
import { evaluateInstruction } from "../../evaluation/evaluate.js";
import type { TestResult } from "../../store/types.js";
import type { Demo, Example } from "../../tasks/types.js";
import type { MethodContext } from "../types.js";
import { testInterval } from "./baselines.js";
import { runState } from "./run-state.js";
import { winnerTestSize } from "./test-plan.js";

/**
 * Score `instruction` (with `demos`: the run's fixed demonstrations by default) on the `test` examples
 * with the run's (budgeted) black box and metric; with `postSearch: "adaptive"` on the first
 * winnerTestSize(...) of them (./test-plan.ts: sized by the baselines' planned sizes, which the baselines
 * phase stored).
 */
export async function scoreTest(
  ctx: MethodContext,
  instruction: string,
  all: readonly Example[],
  demos: readonly Demo[] = ctx.targetDemos ?? [],
): Promise<TestResult> {
  let test = all;
  if (ctx.config.postSearch === "adaptive") {
    const baselines = runState(ctx.ledger, ctx.runId).baselines.get() ?? [];
    test = all.slice(
      0,
      winnerTestSize(
        baselines.map((b) => b.test?.scores.length ?? 0),
        all.length,
      ),
    );
  }
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
