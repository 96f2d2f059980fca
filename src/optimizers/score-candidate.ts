import { zeroUsage } from "../blackbox/usage.js";
import {
  addJudgeUsage,
  costOf,
  evaluateInstruction,
  type InstructionEvaluation,
  type SharedBatchGroup,
  zeroJudgeUsage,
} from "../evaluation/evaluate.js";
import type { EvaluationRecord } from "../store/types.js";
import type { Demo } from "../tasks/types.js";
import type { Candidate } from "./candidate.js";
import { emptyInstructionRecord, isEmptyInstruction } from "./clean-instruction.js";
import { blocksOf, type Incumbent, incumbentOf, raceDecision, racingRank } from "./racing.js";
import type { MethodContext } from "./types.js";

/**
 * The demonstrations in a candidate's (or record's) prompt: its own set (`demoSearch`), else the run's
 * fixed ones (`targetDemos`), else none.
 */
export function demosOf(ctx: MethodContext, c: { demos?: readonly Demo[] }): Demo[] {
  return [...(c.demos ?? ctx.targetDemos ?? [])];
}

/**
 * `candidate` with its demonstrations stated: a few-shot run's records name the demonstrations their
 * prompt had (the run's fixed ones unless the candidate has its own), so a record says what was scored.
 */
export function withDemos(ctx: MethodContext, candidate: Candidate): Candidate {
  if (candidate.demos || !ctx.targetDemos?.length) return candidate;
  return { ...candidate, demos: [...ctx.targetDemos] };
}

/** True when `a` and `b` are the same prompt: the same instruction and the same demonstration set. */
export function samePrompt(
  a: { instruction: string; demos?: readonly Demo[] },
  b: { instruction: string; demos?: readonly Demo[] },
): boolean {
  return a.instruction === b.instruction && JSON.stringify(a.demos ?? []) === JSON.stringify(b.demos ?? []);
}

/**
 * Score a candidate on the validation set and append it to the ledger. An instruction already scored in
 * this run is not re-queried: its scores are reused (and the record says so). With `racing` (not for
 * the user's extra "init" candidates, which are always scored in full) the candidate races the best
 * fully scored record of `previous` (see racing.ts).
 */
export async function scoreCandidate(
  ctx: MethodContext,
  candidate: Candidate,
  previous: readonly EvaluationRecord[],
): Promise<EvaluationRecord> {
  candidate = withDemos(ctx, candidate);
  const seen = previous.find((r) => samePrompt(r, candidate) && !r.reused) ?? null;
  const total = ctx.splits.validation.length;
  const race: RaceContext | undefined =
    ctx.config.racing && candidate.origin !== "init"
      ? { incumbent: async () => incumbentOf(previous, total, racingRank(ctx.config)) }
      : undefined;
  const record = await evaluateCandidate(ctx, candidate, seen, race);
  if (!record) throw new Error(`candidate ${candidate.index}: race stopped without an incumbent`);
  ctx.timing.evaluationMs += record.evaluationMs;
  ctx.ledger.appendEvaluation(ctx.runId, record);
  return record;
}

/** What a raced candidate needs from the search (see racing.ts). */
export interface RaceContext {
  /**
   * The incumbent: the best fully scored candidate before this one, once every candidate before it is
   * decided (null: none yet). undefined: a candidate before this one was not scored (the run was
   * interrupted), so this one is not needed either.
   */
  incumbent(): Promise<Incumbent | null | undefined>;
  /** True once the search no longer needs this candidate (it stopped before it): stop between blocks. */
  cancelled?(): boolean;
}

/**
 * The record of a candidate, without storing it: `seen`'s scores when given (the same instruction
 * was already scored: no black-box call, a raced record's prefix included), else a validation-set
 * evaluation, raced block by block when `race` is given (`racing`, or a migration's warm start). Null only
 * when a race learns that it is not needed (see {@link RaceContext}).
 */
export async function evaluateCandidate(
  ctx: MethodContext,
  candidate: Candidate,
  seen: EvaluationRecord | null,
  race?: RaceContext,
  batchGroup?: SharedBatchGroup,
): Promise<EvaluationRecord | null> {
  candidate = withDemos(ctx, candidate);
  const p = candidate.proposalUsage ?? zeroUsage();
  // an instruction that is empty after clean-up is never scored as if it were one
  if (isEmptyInstruction(candidate.instruction))
    return emptyInstructionRecord(candidate, ctx.splits.validation.length);
  const total = ctx.splits.validation.length;
  if (seen)
    return {
      ...base(candidate),
      score: seen.score,
      scores: seen.scores,
      outputs: seen.outputs,
      ...(seen.scores.length < total ? { scored: seen.scores.length } : {}),
      ...(seen.feedback ? { feedback: seen.feedback } : {}),
      reused: true,
      ...p,
      evaluationMs: 0,
    };
  const options = {
    metric: ctx.metric,
    maxTokens: ctx.maxTokens,
    split: "validation",
    phase: "search",
    demos: demosOf(ctx, candidate),
  };
  if (!race) {
    // a shared batch group covers the whole validation set (never a racing block)
    const ev = await evaluateInstruction(ctx.blackBox, candidate.instruction, ctx.splits.validation, {
      ...options,
      ...(batchGroup ? { batchGroup } : {}),
    });
    return recordOf(candidate, [ev], total, ev.ms);
  }
  // racing: block by block in the validation order, until the candidate is decided
  const t0 = performance.now();
  const blocks: InstructionEvaluation[] = [];
  const scores: number[] = [];
  for (const [a, b] of blocksOf(total, ctx.config.racingBlock)) {
    if (a > 0) {
      if (race.cancelled?.()) return null;
      const incumbent = await race.incumbent();
      if (incumbent === undefined || race.cancelled?.()) return null;
      if (raceDecision(scores, incumbent, total, ctx.config.racingAlpha)) break;
    }
    const ev = await evaluateInstruction(
      ctx.blackBox,
      candidate.instruction,
      ctx.splits.validation.slice(a, b),
      options,
    );
    blocks.push(ev);
    scores.push(...ev.scores);
  }
  return recordOf(candidate, blocks, total, performance.now() - t0);
}

/** The record of a candidate scored in `parts` (consecutive blocks of the validation order). */
function recordOf(
  candidate: Candidate,
  parts: readonly InstructionEvaluation[],
  total: number,
  ms: number,
): EvaluationRecord {
  const p = candidate.proposalUsage ?? zeroUsage();
  const examples = parts.flatMap((ev) => ev.examples);
  const scores = parts.flatMap((ev) => ev.scores);
  const feedback = examples.some((e) => e.feedback !== undefined)
    ? examples.map((e) => e.feedback ?? null)
    : undefined;
  const judge = zeroJudgeUsage();
  const u = {
    calls: p.calls,
    cacheHits: p.cacheHits,
    inputTokens: p.inputTokens,
    outputTokens: p.outputTokens,
    costUsd: p.costUsd,
  };
  for (const ev of parts) {
    addJudgeUsage(judge, ev.judge);
    u.calls += ev.calls;
    u.cacheHits += ev.cacheHits;
    u.inputTokens += ev.inputTokens;
    u.outputTokens += ev.outputTokens;
    u.costUsd += ev.costUsd;
  }
  return {
    ...base(candidate),
    // one part: its mean as evaluateInstruction computed it (records of unraced runs are unchanged)
    score: parts.length === 1 ? parts[0].score : mean(scores),
    scores,
    outputs: examples.map((e) => e.output),
    ...(scores.length < total ? { scored: scores.length } : {}),
    ...(feedback ? { feedback } : {}),
    ...(judge.calls + judge.cacheHits > 0 ? { judge } : {}),
    reused: false,
    ...u,
    evaluationMs: ms,
    ...costOf(examples),
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length ? s / xs.length : 0;
}

function base(c: Candidate) {
  return {
    index: c.index,
    iteration: c.iteration,
    z: c.z,
    instruction: c.instruction,
    ...(c.demos ? { demos: c.demos } : {}),
    generationMs: c.generationMs,
    ...(c.origin ? { origin: c.origin } : {}),
  };
}

/**
 * Position of the best record: highest score, earliest on ties; -1 when empty. Records scored on the
 * whole validation set come first: a raced record that stopped early (a prefix, see racing.ts) is the
 * best only when no record is fully scored. The validation size is `total`, by default the longest
 * score vector (racing always scores its first candidate in full).
 */
export function bestIndex(records: readonly EvaluationRecord[], total?: number): number {
  const length = (r: EvaluationRecord) => r.scores?.length ?? 0;
  const n = total ?? records.reduce((m, r) => Math.max(m, length(r)), 0);
  const full = (r: EvaluationRecord) => length(r) >= n;
  let best = -1;
  for (let i = 0; i < records.length; i++) {
    if (best < 0) {
      best = i;
      continue;
    }
    const a = records[i];
    const b = records[best];
    if (full(a) !== full(b)) {
      if (full(a)) best = i;
    } else if (a.score > b.score) best = i;
  }
  return best;
}
