/**
 * Baselines: what the winner must beat. Every run scores, on the validation set and on the test split,
 * (a) no instruction (the query without its instruction line), (b) the task's human-written
 * instruction when it has one (the 24 annotated instruction-induction tasks), (c) the user's own
 * (`baselines`). Their test scores carry 95% intervals (stats/interval.ts); the winner is compared with each on the
 * same test examples (see src/stats). Scores are stored as each baseline finishes (resumable).
 */
import { costOf, evaluateInstruction } from "../../evaluation/evaluate.js";
import { meanInterval } from "../../stats/interval.js";
import type { Demo, Task, TaskSplits } from "../../tasks/types.js";
import { seedFor } from "../../util/rng.js";
import type { MethodContext } from "../types.js";
import type { BaselineKind, BaselineResult } from "./results-types.js";
import { runState } from "./run-state.js";
import { BASELINE_PILOT } from "./test-plan.js";

/** The baselines of a run, in order: no instruction, human instruction (if any), the user's. */
export function baselineList(
  task: Task,
  userBaselines: readonly string[],
): { name: string; kind: BaselineKind; instruction: string; demos?: Demo[] }[] {
  const list: { name: string; kind: BaselineKind; instruction: string; demos?: Demo[] }[] = [
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

/**
 * 95% interval of a mean test score (stats/interval.ts; seeded per name, so a run reports the same
 * interval every time); at `level` for a look of the sequential test (./test-plan.ts).
 */
export function testInterval(scores: number[], seed: number, name: string, level = 0.95) {
  return meanInterval(scores, { seed: seedFor(seed, `bootstrap:${name}`), level });
}

/**
 * Score every baseline on validation and (when `test`) on the test split; with `postSearch:
 * "adaptive"`, on a validation pilot only (./test-plan.ts: the sequential test phase scores them on
 * the test split as far as the verdict needs).
 */
export async function scoreBaselines(
  ctx: MethodContext,
  list: ReturnType<typeof baselineList>,
  splits: TaskSplits,
  test: boolean,
): Promise<BaselineResult[]> {
  if (ctx.config.postSearch === "adaptive") return scoreBaselinesAdaptive(ctx, list, splits);
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
    const demos = b.demos ?? ctx.targetDemos ?? [];
    const v = await evaluateInstruction(ctx.blackBox, b.instruction, splits.validation, {
      metric: ctx.metric,
      maxTokens: ctx.maxTokens,
      split: "validation",
      demos,
      phase: "baselines",
    });
    let t: BaselineResult["test"] = null;
    let examples = v.examples;
    if (test) {
      const e = await evaluateInstruction(ctx.blackBox, b.instruction, splits.test, {
        metric: ctx.metric,
        maxTokens: ctx.maxTokens,
        template: "test",
        split: "test",
        demos,
        phase: "baselines",
      });
      const ci = testInterval(e.scores, ctx.config.seed, b.name);
      t = { score: e.score, scores: e.scores, low: ci.low, high: ci.high };
      examples = [...examples, ...e.examples];
    }
    out.push({
      ...b,
      ...(demos.length ? { demos } : {}),
      validation: { score: v.score, scores: v.scores },
      test: t,
      ...costOf(examples),
    });
    state.baselines.put([...out, ...done.filter((d) => !out.some((o) => o.name === d.name))]);
  }
  return out;
}

/**
 * The adaptive baselines: each on the first BASELINE_PILOT validation examples (its validation score),
 * stored as each ends; their test scores come from the sequential test phase (./sequential-test.ts).
 */
async function scoreBaselinesAdaptive(
  ctx: MethodContext,
  list: ReturnType<typeof baselineList>,
  splits: TaskSplits,
): Promise<BaselineResult[]> {
  const state = runState(ctx.ledger, ctx.runId);
  const store = new Map((state.baselines.get() ?? []).map((d) => [d.name, d]));
  const save = () => state.baselines.put([...store.values()]);
  const pilot = splits.validation.slice(0, BASELINE_PILOT);
  for (const b of list) {
    const prev = store.get(b.name);
    if (prev && prev.instruction === b.instruction) continue;
    const demos = b.demos ?? ctx.targetDemos ?? [];
    const v = await evaluateInstruction(ctx.blackBox, b.instruction, pilot, {
      metric: ctx.metric,
      maxTokens: ctx.maxTokens,
      split: "validation",
      demos,
      phase: "baselines",
    });
    store.set(b.name, {
      ...b,
      ...(demos.length ? { demos } : {}),
      validation: { score: v.score, scores: v.scores },
      test: null,
      ...costOf(v.examples),
    });
    save();
  }
  return list.map((b) => store.get(b.name)!);
}
