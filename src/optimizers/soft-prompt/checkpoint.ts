import { CHECKPOINT_KEYS, type Ledger } from "../../store/ledger.js";

/**
 * A batch, or one part of a split batch (see pipeline.ts), as checkpointed in the ledger: its points
 * before anything else, its instructions once generated.
 */
export interface StoredBatch {
  points: number[][];
  /**
   * A pipelined batch's first part (its head): how many of the batch's soft prompts it holds; the rest
   * is checkpointed as part 1. Absent: this checkpoint holds the whole batch.
   */
  count?: number;
  /** Proposer state after this batch was proposed (warm start of the next step). */
  proposerState?: unknown;
  /** Set once the whole batch has been generated. */
  instructions?: string[];
  generationMs?: number;
  /**
   * `distinct` batches: the over-proposed candidates, in the proposer's order. The batch's points are the first
   * q candidates whose instruction is new (then, if fewer are new, the rest in order); `points` and
   * `instructions` are filled in once they are all known.
   */
  candidates?: number[][];
  /** Instructions of the candidates generated so far (checkpointed after every chunk). */
  candidateTexts?: string[];
}

/** The batch checkpoints of one run, by batch number and part (0: the batch or its head; 1: its rest). */
export interface BatchCheckpoints {
  /** Part `part` of batch `it` as last stored, or undefined. */
  get(it: number, part?: number): StoredBatch | undefined;
  /** Store (replace) part `part` of batch `it`. */
  put(it: number, batch: StoredBatch, part?: number): void;
}

/**
 * The run's batch checkpoints, stored in the ledger's state as JSON under `batch:<it>` (part 0) and
 * `batch:<it>:rest` (part 1).
 */
export function batchCheckpoints(ledger: Ledger, runId: string): BatchCheckpoints {
  const key = (it: number, part = 0) =>
    part === 0 ? CHECKPOINT_KEYS.batch(it) : CHECKPOINT_KEYS.batchRest(it);
  return {
    get: (it, part) => ledger.getState<StoredBatch>(runId, key(it, part)),
    put: (it, batch, part) => ledger.setState(runId, key(it, part), batch),
  };
}
