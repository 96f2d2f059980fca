/**
 * Baselines: what the winner must beat. Every run scores, on the validation set and on the test split,
 * (a) no instruction (the query without its instruction line), (b) the task's human-written
 * instruction when it has one (the 24 annotated instruction-induction tasks), (c) the user's own
 * (`baselines`). Their test scores carry 95% intervals (stats/interval.ts); the winner is compared with each on the
 * same test examples (see src/stats). Scores are stored as each baseline finishes (resumable).
 */
import { evaluateInstruction } from "../../evaluation/evaluate.js";
import { meanInterval } from "../../stats/interval.js";
import type { Task, TaskSplits } from "../../tasks/types.js";
import { seedFor } from "../../util/rng.js";
import type { MethodContext } from "../types.js";
import type { BaselineKind, BaselineResult } from "./results-types.js";
import { runState } from "./run-state.js";

/** The baselines of a run, in order: no instruction, human instruction (if any), the user's. */
export function baselineList(
  task: Task,
  userBaselines: readonly string[],
): { name: string; kind: BaselineKind; instruction: string }[] {
  const list: { name: string; kind: BaselineKind; instruction: string }[] = [
    { name: "no instruction", kind: "none", instruction: "" },
  ];
  const human = task.humanInstructions?.find((h) => h.trim() !== "");
  if (human) list.push({ name: "human instruction", kind: "human", instruction: human.trim() });
  userBaselines.forEach((b, i) => {
    list.push({
      name: userBaselines.length === 1 ? "your baseline" : `your baseline ${i + 1}`,
      kind: "user",
      instruction: b,
    });
  });
  return list;
}

/** 95% interval of a mean test score (stats/interval.ts; seeded per name, so a run reports the same interval every time). */
export function testInterval(scores: number[], seed: number, name: string) {
  return meanInterval(scores, { seed: seedFor(seed, `bootstrap:${name}`) });
}

/** Score every baseline on validation and (when `test`) on the test split. */
export async function scoreBaselines(
  ctx: MethodContext,
  list: ReturnType<typeof baselineList>,
  splits: TaskSplits,
  test: boolean,
): Promise<BaselineResult[]> {
  const state = runState(ctx.ledger, ctx.runId);
  const done = state.baselines.get() ?? [];
  const out: BaselineResult[] = [];
  for (const b of list) {
    const prev = done.find(
      (d) => d.name === b.name && d.instruction === b.instruction && (d.test !== null) === test,
    );
    if (prev) {
      out.push(prev);
      continue;
    }
    const v = await evaluateInstruction(ctx.blackBox, b.instruction, splits.validation, {
      metric: ctx.metric,
      maxTokens: ctx.maxTokens,
      split: "validation",
      phase: "baselines",
    });
    let t: BaselineResult["test"] = null;
    if (test) {
      const e = await evaluateInstruction(ctx.blackBox, b.instruction, splits.test, {
        metric: ctx.metric,
        maxTokens: ctx.maxTokens,
        template: "test",
        split: "test",
        phase: "baselines",
      });
      const ci = testInterval(e.scores, ctx.config.seed, b.name);
      t = { score: e.score, scores: e.scores, low: ci.low, high: ci.high };
    }
    out.push({ ...b, validation: { score: v.score, scores: v.scores }, test: t });
    state.baselines.put([...out, ...done.filter((d) => !out.some((o) => o.name === d.name))]);
  }
  return out;
}
