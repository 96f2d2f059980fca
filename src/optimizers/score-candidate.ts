import { evaluateInstruction } from "../evaluation/evaluate.js";
import type { EvaluationRecord } from "../store/types.js";
import { emptyInstructionRecord, isEmptyInstruction } from "./clean-instruction.js";
import type { MethodContext } from "./types.js";

/** A candidate to score: its instruction and where it came from. */
export interface Candidate {
  index: number;
  iteration: number;
  z: number[] | null;
  instruction: string;
  generationMs: number;
  /** "init": an extra candidate given by the user (not proposed by the search). */
  origin?: "init";
  /** Usage spent to obtain the candidate (ape proposals), added to the record. */
  proposalUsage?: {
    calls: number;
    cacheHits: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  };
}

/**
 * Score a candidate on the validation set and append it to the ledger. An instruction already scored in
 * this run is not re-queried: its scores are reused (and the record says so).
 */
export async function scoreCandidate(
  ctx: MethodContext,
  candidate: Candidate,
  previous: readonly EvaluationRecord[],
): Promise<EvaluationRecord> {
  const seen = previous.find((r) => r.instruction === candidate.instruction && !r.reused) ?? null;
  const record = await evaluateCandidate(ctx, candidate, seen);
  ctx.timing.evaluationMs += record.evaluationMs;
  ctx.ledger.appendEvaluation(ctx.runId, record);
  return record;
}

/**
 * The record of a candidate, without storing it: `seen`'s scores when given (the same instruction
 * was already scored: no black-box call), else a validation-set evaluation.
 */
export async function evaluateCandidate(
  ctx: MethodContext,
  candidate: Candidate,
  seen: EvaluationRecord | null,
): Promise<EvaluationRecord> {
  const p = candidate.proposalUsage ?? {
    calls: 0,
    cacheHits: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
  };
  // an instruction that is empty after clean-up is never scored as if it were one
  if (isEmptyInstruction(candidate.instruction))
    return emptyInstructionRecord(candidate, ctx.splits.validation.length);
  if (seen)
    return {
      ...base(candidate),
      score: seen.score,
      scores: seen.scores,
      outputs: seen.outputs,
      ...(seen.feedback ? { feedback: seen.feedback } : {}),
      reused: true,
      ...p,
      evaluationMs: 0,
    };
  const ev = await evaluateInstruction(ctx.blackBox, candidate.instruction, ctx.splits.validation, {
    metric: ctx.metric,
    maxTokens: ctx.maxTokens,
    split: "validation",
  });
  const feedback = ev.examples.some((e) => e.feedback !== undefined)
    ? ev.examples.map((e) => e.feedback ?? null)
    : undefined;
  return {
    ...base(candidate),
    score: ev.score,
    scores: ev.scores,
    outputs: ev.examples.map((e) => e.output),
    ...(feedback ? { feedback } : {}),
    ...(ev.judge.calls + ev.judge.cacheHits > 0 ? { judge: ev.judge } : {}),
    reused: false,
    calls: ev.calls + p.calls,
    cacheHits: ev.cacheHits + p.cacheHits,
    inputTokens: ev.inputTokens + p.inputTokens,
    outputTokens: ev.outputTokens + p.outputTokens,
    costUsd: ev.costUsd + p.costUsd,
    evaluationMs: ev.ms,
  };
}

function base(c: Candidate) {
  return {
    index: c.index,
    iteration: c.iteration,
    z: c.z,
    instruction: c.instruction,
    generationMs: c.generationMs,
    ...(c.origin ? { origin: c.origin } : {}),
  };
}

/** Index of the best record: highest score, earliest on ties; -1 when empty. */
export function bestIndex(records: readonly EvaluationRecord[]): number {
  let best = -1;
  for (let i = 0; i < records.length; i++) if (best < 0 || records[i].score > records[best].score) best = i;
  return best;
}
