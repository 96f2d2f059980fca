/**
 * Checkpoints: a run's optimiser and phase state, JSON values by key in the state table. The keys are
 * named here and only here ({@link CHECKPOINT_KEYS}); the optimisers give each key its type.
 */
import { type LedgerContext, requireRun, touch } from "./context.js";

/** Every checkpoint key a run uses. */
export const CHECKPOINT_KEYS = {
  /** Wall time per phase, summed over sessions. */
  timing: "timing",
  /** Candidates scored on the selection split so far. */
  selectionProgress: "selection:progress",
  /** The selection step's result. */
  selection: "selection",
  /** Baselines scored so far. */
  baselines: "baselines",
  /** The winner's test scores so far (the adaptive verdict's sequential test). */
  testProgress: "test:progress",
  /** A migration: the old run's top candidates scored on the new model's test split so far. */
  oldCandidates: "old-candidates",
  /** Rows of `instructzero transfer` (the winner on other targets). */
  transfer: "transfer",
  /** Batch `it` of the soft-prompt search (its points, then its instructions). */
  batch: (it: number) => `batch:${it}`,
  /** The rest of batch `it` of a pipelined search, proposed after its first chunk (its points, then its instructions). */
  batchRest: (it: number) => `batch:${it}:rest`,
  /** The mipro method's instruction pool (soft prompts and their instructions), once generated. */
  miproInstructions: "mipro:instructions",
} as const;

/** One typed checkpoint of a run. */
export interface Checkpoint<T> {
  get(): T | undefined;
  put(value: T): void;
}

/** See {@link Ledger.setState}. */
export function setState(ctx: LedgerContext, runId: string, key: string, value: unknown): void {
  ctx.db.transaction(() => {
    requireRun(ctx, runId);
    const at = ctx.now().toISOString();
    if (value === undefined) {
      ctx.db.run("DELETE FROM state WHERE run_id = ? AND key = ?", [runId, key]);
    } else {
      const json = JSON.stringify(value);
      ctx.db.run(
        `INSERT INTO state (run_id, key, value, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [runId, key, json, at],
      );
    }
    touch(ctx, runId, at);
  });
}

/** See {@link Ledger.getState}. */
export function getState<T>(ctx: LedgerContext, runId: string, key: string): T | undefined {
  requireRun(ctx, runId);
  const v = ctx.db.value("SELECT value FROM state WHERE run_id = ? AND key = ?", [runId, key]) as
    | string
    | undefined;
  return v === undefined ? undefined : (JSON.parse(v) as T);
}

/** See {@link Ledger.stateKeys}. */
export function stateKeys(ctx: LedgerContext, runId: string): string[] {
  requireRun(ctx, runId);
  return ctx.db.column("SELECT key FROM state WHERE run_id = ? ORDER BY key", [runId]) as string[];
}
