/**
 * Selection on fresh data. The best of many candidates on the same validation examples is biased upward
 * (the winner's curse: with 20 yes/no examples one example is 5 points, and ties go by order). So the top
 * k distinct candidates by validation score are scored again on a selection split of examples the search
 * never used (not demos, not validation, not test), and the best there wins; ties go to the higher
 * validation score, then to the earliest candidate (see selectWinner in ../select.ts).
 *
 * The selection split: the task's examples left after the demos the method can see (instructzero and
 * uniform show the generator only `demos` examples, so the rest of the prompt-generation set is fresh for
 * them; APE samples demos from all of it), validation and test, shuffled with the run's seed, at most
 * `selectionSize`. With fewer than MIN_SELECTION_SIZE such examples the run falls back to the validation
 * rule and says so.
 *
 * A migration's old candidates (old-candidates.ts) join the top k: they are scored on the selection
 * split too, and one of them wins when it is the best there.
 */

import { HaltedError } from "../../blackbox/errors.js";
import { evaluateInstruction } from "../../evaluation/evaluate.js";
import type { EvaluationRecord } from "../../store/types.js";
import { unusedExamples } from "../../tasks/hygiene.js";
import type { Example, Task, TaskSplits } from "../../tasks/types.js";
import { Rng, seedFor } from "../../util/rng.js";
import { selectWinner, topDistinct } from "../select.js";
import { type RaceCandidate, selectionRacePlan, selectionRaceStep } from "../select-race.js";
import type { MethodContext } from "../types.js";
import { oldCandidateIndices } from "./old-candidates.js";
import type { SelectionCandidate, SelectionResult } from "./results-types.js";
import { roundGroupCap, roundGroups } from "./round-groups.js";
import { runState } from "./run-state.js";

/** Fewer fresh examples than this: selection falls back to the validation rule. */
export const MIN_SELECTION_SIZE = 10;

/** The selection split of a run (see the module comment), and a note when it is too small. */
export function selectionSplit(
  task: Task,
  splits: TaskSplits,
  options: { seed: number; size: number; demoInputs: readonly string[] | null },
): { examples: Example[]; note?: string } {
  const used = new Set<string>([
    ...splits.validation.map((e) => e.input),
    ...splits.test.map((e) => e.input),
    ...(options.demoInputs ?? splits.promptGen.map((e) => e.input)),
  ]);
  const pool = unusedExamples([...task.induce, ...task.execute], used);
  const examples = new Rng(seedFor(options.seed, "selection")).shuffled(pool).slice(0, options.size);
  if (examples.length < MIN_SELECTION_SIZE) {
    return {
      examples: [],
      note: `selection: the task leaves ${examples.length} examples outside demos, validation and test (at least ${MIN_SELECTION_SIZE} are needed); the winner is the best validation score`,
    };
  }
  return { examples };
}

/**
 * Choose the winner among `records`: by the validation rule, or by re-scoring the top k distinct ones on
 * `fresh` (stored in the ledger as they are scored, so a resumed run does not score them again).
 */
export async function selectBest(
  ctx: MethodContext,
  records: readonly EvaluationRecord[],
  fresh: { examples: Example[]; note?: string },
): Promise<SelectionResult> {
  const { config } = ctx;
  const state = runState(ctx.ledger, ctx.runId);
  const rule = config.selection === "fresh" && fresh.examples.length > 0 ? "fresh" : "validation";
  const note = config.selection === "fresh" ? fresh.note : undefined;
  // candidates a race stopped early have a prefix of the validation scores: prefer fully scored ones
  const full = records.filter((r) => !r.empty && r.scored === undefined);
  const scorable = full.length > 0 ? full : records.filter((r) => !r.empty);
  if (rule === "validation") {
    const w = selectWinner(
      scorable.map((r) => ({ index: r.index, validationScore: r.score })),
      "validation",
      config.selectionTies,
    );
    const result: SelectionResult = {
      rule,
      size: 0,
      candidates: [],
      winner: w.index,
      ...(note ? { note } : {}),
    };
    state.selection.put(result);
    return result;
  }
  const stored = state.selection.get();
  if (stored && stored.rule === "fresh" && stored.size === fresh.examples.length) return stored;
  ctx.ledger.setExamples(ctx.runId, "selection", fresh.examples);
  const best = topDistinct(
    scorable.map((r) => ({ index: r.index, instruction: r.instruction, score: r.score })),
    config.selectionTopK,
  );
  // a migration: the old run's top candidates are scored on the selection split too (old-candidates.ts)
  const top = [...best, ...oldCandidateIndices(config.oldCandidates, records, best)];
  const done = new Map((state.selectionProgress.get() ?? []).map((c) => [c.index, c]));
  if (config.postSearch === "adaptive") {
    const result = await raceSelection(ctx, top, records, fresh.examples, done);
    state.selection.put(result);
    return result;
  }
  const candidates: SelectionCandidate[] = [];
  for (const index of top) {
    const r = records.find((x) => x.index === index)!;
    let c = done.get(index);
    if (!c) {
      const ev = await evaluateInstruction(ctx.blackBox, r.instruction, fresh.examples, {
        metric: ctx.metric,
        maxTokens: ctx.maxTokens,
        split: "selection",
        demos: r.demos ?? ctx.targetDemos ?? [],
        phase: "selection",
      });
      c = { index, instruction: r.instruction, validationScore: r.score, score: ev.score, scores: ev.scores };
      done.set(index, c);
      state.selectionProgress.put([...done.values()]);
    }
    candidates.push(c);
  }
  const w = selectWinner(
    candidates.map((c) => ({ index: c.index, validationScore: c.validationScore, selectionScore: c.score })),
    "fresh",
  );
  const result: SelectionResult = { rule, size: fresh.examples.length, candidates, winner: w.index };
  state.selection.put(result);
  return result;
}

/**
 * Adaptive selection (`postSearch: "adaptive"`): a race among the top k on the selection split
 * (../select-race.ts): every candidate on the first examples, then the ones still in the race a block
 * at a time, dropped by the sign test against the leader or by the caps on how many stay; the winner
 * is the best survivor by its selection score. Scores are stored as they come (`done`: a candidate's
 * scores on a prefix of the split), so a resumed run scores nothing twice and chooses the same winner.
 */
async function raceSelection(
  ctx: MethodContext,
  top: readonly number[],
  records: readonly EvaluationRecord[],
  examples: readonly Example[],
  done: Map<number, SelectionCandidate>,
): Promise<SelectionResult> {
  const state = runState(ctx.ledger, ctx.runId);
  const plan = selectionRacePlan(top.length, examples.length);
  const recordOf = (index: number) => records.find((x) => x.index === index)!;
  type Racer = RaceCandidate & { stored: SelectionCandidate };
  const racer = (c: SelectionCandidate, upTo: number): Racer => ({
    index: c.index,
    validationScore: c.validationScore,
    validationCount: recordOf(c.index).scores.length,
    selectionScores: c.scores.slice(0, upTo),
    stored: c,
  });
  let step = selectionRaceStep<Racer>(
    top.map((index) => {
      const r = recordOf(index);
      return racer(
        done.get(index) ?? {
          index,
          instruction: r.instruction,
          validationScore: r.score,
          score: 0,
          scores: [],
        },
        0,
      );
    }),
    plan,
  );
  while (step.upTo !== null) {
    const upTo = step.upTo;
    // a round's queries go out together in batch groups (round-groups.ts); each candidate's scores are
    // stored as it ends
    const todo = step.alive.filter((c) => c.stored.scores.length < upTo);
    const sizes = todo.map((c) => upTo - c.stored.scores.length);
    for (const [g, members] of roundGroups(sizes, roundGroupCap(ctx)).entries()) {
      const id = `${ctx.runId}:selection-to-${upTo}:${g}`;
      const size = members.reduce((a, k) => a + sizes[k], 0);
      let offset = 0;
      const scoring = members.map((k) => {
        const c = todo[k];
        const from = c.stored.scores.length;
        const batchGroup = { id, size, offset };
        offset += sizes[k];
        return evaluateInstruction(ctx.blackBox, c.stored.instruction, examples.slice(from, upTo), {
          metric: ctx.metric,
          maxTokens: ctx.maxTokens,
          split: "selection",
          demos: recordOf(c.index).demos ?? ctx.targetDemos ?? [],
          phase: "selection",
          batchGroup,
        }).then((ev) => {
          const scores = [...c.stored.scores, ...ev.scores];
          done.set(c.index, {
            ...c.stored,
            scores,
            score: scores.reduce((a, b) => a + b, 0) / scores.length,
          });
          state.selectionProgress.put(top.map((i) => done.get(i)).filter((x) => x !== undefined));
        });
      });
      const settled = await Promise.allSettled(scoring);
      const failed = settled.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed.length > 0)
        throw (failed.find((f) => !(f.reason instanceof HaltedError)) ?? failed[0]).reason;
    }
    step = selectionRaceStep(
      step.alive.map((c) => racer(done.get(c.index) ?? c.stored, upTo)),
      plan,
    );
  }
  // every candidate the race scored, with the scores it was ranked on
  const candidates = top
    .map((index) => done.get(index))
    .filter((c): c is SelectionCandidate => !!c && c.scores.length > 0);
  return { rule: "fresh", size: examples.length, candidates, winner: step.alive[0].index };
}
