import type { EvaluationRecord } from "../store/types.js";
import { bestIndex } from "./score-candidate.js";
import type { ProgressEvent } from "./types.js";

/**
 * The "evaluate" progress event once `records` ends with the candidate just scored: the best score so
 * far, that candidate, and the paid calls and dollars of all records (validation + proposals + judge).
 */
export function evaluateEvent(records: readonly EvaluationRecord[], budget: number): ProgressEvent {
  const last = records[records.length - 1];
  let calls = 0;
  let costUsd = 0;
  for (const r of records) {
    calls += r.calls + (r.judge?.calls ?? 0);
    costUsd += r.costUsd + (r.judge?.costUsd ?? 0);
  }
  return {
    phase: "evaluate",
    evaluations: records.length,
    budget,
    bestScore: records.length > 0 ? records[bestIndex(records)].score : null,
    candidate: last
      ? { index: last.index, instruction: last.instruction, score: last.score, reused: last.reused }
      : undefined,
    spent: { calls, costUsd },
  };
}
