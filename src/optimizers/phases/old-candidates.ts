/**
 * A migration's old candidates (`oldCandidates`, set by `instructzero migrate`): the old run's top
 * candidates (its winner, then the rest of its selection's top k). Each has a record in the new run (the
 * warm start, or an extra candidate), so it is scored on the new model's validation set like any
 * candidate; it also joins the selection's top k (oldCandidateIndices: it is scored on the selection
 * split, and may win when the new search found nothing better on the new model), and after the test
 * phase it is scored on the winner's test examples (scoreOldCandidates), one black box, one budget, one
 * ledger: the migration table shows each old candidate on the new model beside the migrated prompt.
 * Test scores the run already has (the winner's; the old winner is a baseline) are reused; the others
 * are stored as each candidate finishes, so a resumed run scores none twice.
 */
import { evaluateInstruction } from "../../evaluation/evaluate.js";
import type { EvaluationRecord, TestResult } from "../../store/types.js";
import type { Example } from "../../tasks/types.js";
import { demosOf, samePrompt } from "../score-candidate.js";
import type { MethodContext } from "../types.js";
import { testInterval } from "./baselines.js";
import type { BaselineResult, OldCandidateResult, SelectionResult } from "./results-types.js";
import { runState } from "./run-state.js";

/** The new run's record of each old candidate (its earliest non-empty record with that instruction), or null. */
export function oldCandidateRecords(
  oldCandidates: readonly { instruction: string }[] | undefined,
  records: readonly EvaluationRecord[],
): (EvaluationRecord | null)[] {
  return (oldCandidates ?? []).map(
    (c) => records.find((r) => !r.empty && r.instruction === c.instruction) ?? null,
  );
}

/** Indices of the old candidates' records that are not already among `top` (same instruction), for the selection step. */
export function oldCandidateIndices(
  oldCandidates: readonly { instruction: string }[] | undefined,
  records: readonly EvaluationRecord[],
  top: readonly number[],
): number[] {
  const taken = new Set(top.map((i) => records.find((r) => r.index === i)?.instruction));
  const out: number[] = [];
  for (const r of oldCandidateRecords(oldCandidates, records)) {
    if (!r || taken.has(r.instruction)) continue;
    taken.add(r.instruction);
    out.push(r.index);
  }
  return out;
}

/** What the old candidates' rows are built from: the run's phases after the search. */
export interface OldCandidateParts {
  selection: SelectionResult | null;
  baselines: readonly BaselineResult[];
  winner: EvaluationRecord;
  test: TestResult | null;
  testExamples: readonly Example[];
}

/**
 * The old candidates on the new model as far as the run has scored them: validation and selection
 * scores, and the test scores stored by an earlier session (scoreOldCandidates adds the rest).
 */
export function oldCandidateRows(
  ctx: MethodContext,
  records: readonly EvaluationRecord[],
  parts: OldCandidateParts,
): OldCandidateResult[] {
  const list = ctx.config.oldCandidates ?? [];
  const stored = new Map((runState(ctx.ledger, ctx.runId).oldCandidates.get() ?? []).map((c) => [c.name, c]));
  const mine = oldCandidateRecords(list, records);
  return list.map((c, i) => {
    const r = mine[i];
    const sel = r ? parts.selection?.candidates.find((x) => x.index === r.index) : undefined;
    const name = i === 0 ? "old prompt" : `old candidate ${i + 1}`;
    return {
      name,
      instruction: c.instruction,
      oldIndex: c.index,
      oldScore: c.score,
      index: r?.index ?? null,
      validation: r ? r.score : null,
      selection: sel ? sel.score : null,
      test: stored.get(name)?.test ?? null,
      ...(r?.usdPer1k !== undefined ? { usdPer1k: r.usdPer1k } : {}),
      ...(r?.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
    };
  });
}

/**
 * Score the old candidates of `rows` (oldCandidateRows) that have no test score yet on the winner's test
 * examples (the first as many of `testExamples` as the winner was scored on; none without a test),
 * setting each row's test score as it comes and storing it, so a limit that stops this phase leaves
 * what was scored and a resumed run scores none twice.
 */
export async function scoreOldCandidates(
  ctx: MethodContext,
  records: readonly EvaluationRecord[],
  parts: OldCandidateParts,
  rows: OldCandidateResult[],
): Promise<void> {
  const state = runState(ctx.ledger, ctx.runId);
  const mine = oldCandidateRecords(ctx.config.oldCandidates, records);
  const n = parts.test?.scores.length ?? 0;
  if (n === 0) return;
  const examples = parts.testExamples.slice(0, n);
  for (const [i, c] of rows.entries()) {
    if (c.test) continue;
    const r = mine[i];
    const demos = r ? demosOf(ctx, r) : (ctx.targetDemos ?? []);
    const prompt = { instruction: c.instruction, demos };
    // what the run already scored on these test examples: the winner, a baseline (the old prompt)
    const known =
      parts.test &&
      samePrompt(prompt, { instruction: parts.winner.instruction, demos: demosOf(ctx, parts.winner) })
        ? parts.test.scores
        : parts.baselines.find(
            (b) =>
              samePrompt(prompt, { instruction: b.instruction, demos: b.demos ?? ctx.targetDemos ?? [] }) &&
              b.test?.scores.length === n,
          )?.test?.scores;
    let scores = known;
    if (!scores) {
      const ev = await evaluateInstruction(ctx.blackBox, c.instruction, examples, {
        metric: ctx.metric,
        maxTokens: ctx.maxTokens,
        template: "test",
        split: "test",
        demos,
        phase: "test",
      });
      scores = ev.scores;
    }
    const ci = testInterval(scores, ctx.config.seed, c.name);
    const score = scores.reduce((a, b) => a + b, 0) / scores.length;
    rows[i] = { ...c, test: { score, scores, low: ci.low, high: ci.high } };
    state.oldCandidates.put(rows.filter((x) => x.test !== null));
  }
}
