/**
 * The adaptive verdict's test phase (`postSearch: "adaptive"`): the winner and the baselines scored on
 * the test split look by look, as far as the group-sequential plan needs (./test-plan.ts). Scores are
 * stored as they come (the winner's in the "test:progress" checkpoint, each baseline's in
 * "baselines"), so a resumed run scores nothing twice and takes the same decisions. Each mean's
 * interval is at the level the plan spent at the look where it stopped (a 95% interval of the design).
 */
import { addJudgeUsage, costOf, evaluateInstruction, zeroJudgeUsage } from "../../evaluation/evaluate.js";
import type { TestResult } from "../../store/types.js";
import type { Demo, Example } from "../../tasks/types.js";
import { seedFor } from "../../util/rng.js";
import type { MethodContext } from "../types.js";
import { testInterval } from "./baselines.js";
import type { BaselineResult } from "./results-types.js";
import { runState } from "./run-state.js";
import { lookAlpha, runSequentialTest, sequentialTestPlan, type TestPlan } from "./test-plan.js";

/** The plan of a run's sequential test (its test split's size decides it). */
export function runTestPlan(examples: readonly Example[]): TestPlan {
  return sequentialTestPlan(examples.length);
}

/**
 * Score `winner` and `baselines` (their validation pilots done) on `examples`, the test split, by the
 * sequential plan; returns the winner's test result and the baselines with their test scores.
 */
export async function scoreSequentialTest(
  ctx: MethodContext,
  winner: { instruction: string; demos: readonly Demo[] },
  baselines: readonly BaselineResult[],
  examples: readonly Example[],
): Promise<{ test: TestResult; baselines: BaselineResult[] }> {
  const state = runState(ctx.ledger, ctx.runId);
  const plan = runTestPlan(examples);
  const seed = ctx.config.seed;
  const level = (n: number) => 1 - lookAlpha(plan, n);
  const evaluate = (instruction: string, from: number, to: number, demos: readonly Demo[]) =>
    evaluateInstruction(ctx.blackBox, instruction, examples.slice(from, to), {
      metric: ctx.metric,
      maxTokens: ctx.maxTokens,
      template: "test",
      split: "test",
      demos,
      phase: "test",
    });

  const stored = state.testProgress.get();
  let test: TestResult = stored && stored.instruction === winner.instruction ? stored.test : emptyTest();
  // as the baselines phase left them: pilots, and the test scores of an earlier session
  const current = baselines.map((b) => ({ ...b }));
  const saveBaselines = () => {
    const others = (state.baselines.get() ?? []).filter((d) => !current.some((c) => c.name === d.name));
    state.baselines.put([...current, ...others]);
  };

  const outcome = await runSequentialTest(
    plan,
    current.length,
    {
      async winner(upTo) {
        const have = test.scores.length;
        if (have < upTo) {
          const ev = await evaluate(winner.instruction, have, upTo, winner.demos);
          const feedback = ev.examples.map((e) => e.feedback ?? null);
          const anyFeedback = feedback.some((f) => f !== null) || test.feedback !== undefined;
          const usage = test.usage!;
          const judge = { ...(test.judge ?? zeroJudgeUsage()) };
          addJudgeUsage(judge, ev.judge);
          const scores = [...test.scores, ...ev.scores];
          test = {
            score: mean(scores),
            scores,
            outputs: [...test.outputs, ...ev.examples.map((e) => e.output)],
            inputs: [...(test.inputs ?? []), ...ev.examples.map((e) => e.input)],
            answers: [...(test.answers ?? []), ...ev.examples.map((e) => e.answers)],
            ...(anyFeedback ? { feedback: [...(test.feedback ?? Array(have).fill(null)), ...feedback] } : {}),
            usage: {
              calls: usage.calls + ev.calls,
              cacheHits: usage.cacheHits + ev.cacheHits,
              inputTokens: usage.inputTokens + ev.inputTokens,
              outputTokens: usage.outputTokens + ev.outputTokens,
              costUsd: usage.costUsd + ev.costUsd,
            },
            ...(judge.calls + judge.cacheHits > 0 ? { judge } : {}),
          };
          state.testProgress.put({ instruction: winner.instruction, test });
        }
        return test.scores.slice(0, upTo);
      },
      async baseline(i, upTo) {
        const b = current[i];
        const have = b.test?.scores ?? [];
        if (have.length < upTo) {
          const ev = await evaluate(b.instruction, have.length, upTo, b.demos ?? []);
          const scores = [...have, ...ev.scores];
          const ci = testInterval(scores, seed, b.name, level(scores.length));
          current[i] = {
            ...b,
            test: { score: mean(scores), scores, low: ci.low, high: ci.high },
            // cost per query from the pilot, else (all cached there) from the test queries
            ...(b.usdPer1k === undefined ? costOf(ev.examples) : {}),
          };
          saveBaselines();
        }
        return current[i].test!.scores.slice(0, upTo);
      },
    },
    current.map((b) => seedFor(seed, `compare:${b.name}`)),
  );

  // each at the look where it stopped: its interval at that look's level
  const final = current.map((b, i) => {
    const n = outcome.baselineN[i];
    if (!b.test || n === 0) return { ...b, test: null };
    const scores = b.test.scores.slice(0, n);
    const ci = testInterval(scores, seed, b.name, level(n));
    return { ...b, test: { score: mean(scores), scores, low: ci.low, high: ci.high } };
  });
  const n = outcome.winnerN;
  const ci = testInterval(test.scores.slice(0, n), seed, "winner", level(n));
  const cut = <T>(xs: T[] | undefined) => xs?.slice(0, n);
  const result: TestResult = {
    ...test,
    score: mean(test.scores.slice(0, n)),
    scores: test.scores.slice(0, n),
    low: ci.low,
    high: ci.high,
    outputs: test.outputs.slice(0, n),
    ...(test.inputs ? { inputs: cut(test.inputs) } : {}),
    ...(test.answers ? { answers: cut(test.answers) } : {}),
    ...(test.feedback ? { feedback: cut(test.feedback) } : {}),
  };
  return { test: result, baselines: final };
}

function emptyTest(): TestResult {
  return {
    score: 0,
    scores: [],
    outputs: [],
    inputs: [],
    answers: [],
    usage: { calls: 0, cacheHits: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}
