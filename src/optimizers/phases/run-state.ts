/**
 * Typed checkpoints of a run's phases (timing, selection, baselines) in the ledger's state table: each
 * key has one type.
 */
import type { Ledger } from "../../store/ledger.js";
import type { PhaseTiming } from "../types.js";
import type { BaselineResult, SelectionCandidate, SelectionResult } from "./results-types.js";

/** One typed checkpoint. */
export interface Checkpoint<T> {
  get(): T | undefined;
  put(value: T): void;
}

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
    timing: checkpoint<PhaseTiming & { wallMs: number }>(ledger, runId, "timing"),
    /** Candidates scored on the selection split so far. */
    selectionProgress: checkpoint<SelectionCandidate[]>(ledger, runId, "selection:progress"),
    /** The selection step's result. */
    selection: checkpoint<SelectionResult>(ledger, runId, "selection"),
    /** Baselines scored so far. */
    baselines: checkpoint<BaselineResult[]>(ledger, runId, "baselines"),
  };
}
