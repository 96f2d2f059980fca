import { CHECKPOINT_KEYS, type Ledger } from "../../store/ledger.js";

/** A batch as checkpointed in the ledger: its points before anything else, its instructions once generated. */
export interface StoredBatch {
  points: number[][];
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

/** The batch checkpoints of one run, by batch number. */
export interface BatchCheckpoints {
  /** Batch `it` as last stored, or undefined. */
  get(it: number): StoredBatch | undefined;
  /** Store (replace) batch `it`. */
  put(it: number, batch: StoredBatch): void;
}

/** The run's batch checkpoints, stored in the ledger's state as JSON under `batch:<it>`. */
export function batchCheckpoints(ledger: Ledger, runId: string): BatchCheckpoints {
  const key = CHECKPOINT_KEYS.batch;
  return {
    get: (it) => ledger.getState<StoredBatch>(runId, key(it)),
    put: (it, batch) => ledger.setState(runId, key(it), batch),
  };
}
