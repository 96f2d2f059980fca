/**
 * Typed checkpoints of a run's phases in the ledger's state table: each key (named in
 * src/store/checkpoints.ts CHECKPOINT_KEYS) has one type here.
 */
import { CHECKPOINT_KEYS, type Checkpoint, type Ledger } from "../../store/ledger.js";
import type { TestResult } from "../../store/types.js";
import type { PhaseTiming } from "../types.js";
import type {
  BaselineResult,
  OldCandidateResult,
  SelectionCandidate,
  SelectionResult,
} from "./results-types.js";

export type { Checkpoint };

function checkpoint<T>(ledger: Ledger, runId: string, key: string): Checkpoint<T> {
  return {
    get: () => ledger.getState<T>(runId, key),
    put: (value) => ledger.setState(runId, key, value),
  };
}

/** The phase checkpoints of a run. */
export function runState(ledger: Ledger, runId: string) {
  return {
    /** Wall time per phase, summed over sessions. */
    timing: checkpoint<PhaseTiming & { wallMs: number }>(ledger, runId, CHECKPOINT_KEYS.timing),
    /** Candidates scored on the selection split so far. */
    selectionProgress: checkpoint<SelectionCandidate[]>(ledger, runId, CHECKPOINT_KEYS.selectionProgress),
    /** The selection step's result. */
    selection: checkpoint<SelectionResult>(ledger, runId, CHECKPOINT_KEYS.selection),
    /** Baselines scored so far. */
    baselines: checkpoint<BaselineResult[]>(ledger, runId, CHECKPOINT_KEYS.baselines),
    /** The winner's test scores so far (sequential test), with the instruction they belong to. */
    testProgress: checkpoint<{ instruction: string; test: TestResult }>(
      ledger,
      runId,
      CHECKPOINT_KEYS.testProgress,
    ),
    /** A migration: the old run's top candidates scored on the test split so far. */
    oldCandidates: checkpoint<OldCandidateResult[]>(ledger, runId, CHECKPOINT_KEYS.oldCandidates),
  };
}
