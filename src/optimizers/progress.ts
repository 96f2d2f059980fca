import type { EvaluationRecord } from "../store/types.js";
import { bestIndex } from "./score-candidate.js";
import type { ProgressEvent } from "./types.js";

/**
 * The "evaluate" progress event once `records` ends with the candidate just scored: the best score so
 * far and that candidate (the run adds what it has spent: its budget's paid attempts and dollars).
 */
export function evaluateEvent(records: readonly EvaluationRecord[], budget: number): ProgressEvent {
  const last = records[records.length - 1];
  return {
    phase: "evaluate",
    evaluations: records.length,
    budget,
    bestScore: records.length > 0 ? records[bestIndex(records)].score : null,
    candidate: last
      ? { index: last.index, instruction: last.instruction, score: last.score, reused: last.reused }
      : undefined,
  };
}
