/** Example sets of a run: its splits (for reports) and the examples of a task given in memory (for resume). */
import type { Example } from "../tasks/types.js";
import { LedgerConflictError, type LedgerContext, requireRun } from "./context.js";

/** See {@link Ledger.setExamples}. */
export function setExamples(ctx: LedgerContext, runId: string, split: string, examples: Example[]): void {
  ctx.db.transaction(() => {
    requireRun(ctx, runId);
    ctx.db.run(
      `INSERT INTO examples (run_id, split, examples) VALUES (?, ?, ?)
         ON CONFLICT (run_id, split) DO UPDATE SET examples = excluded.examples`,
      [runId, split, JSON.stringify(examples.map((e) => ({ input: e.input, answers: e.answers })))],
    );
  });
}

/** See {@link Ledger.getExamples}. */
export function getExamples(ctx: LedgerContext, runId: string, split: string): Example[] | null {
  requireRun(ctx, runId);
  const v = ctx.db.value("SELECT examples FROM examples WHERE run_id = ? AND split = ?", [runId, split]) as
    | string
    | undefined;
  return v === undefined ? null : (JSON.parse(v) as Example[]);
}

/** See {@link Ledger.setTaskExamples}. */
export function setTaskExamples(
  ctx: LedgerContext,
  runId: string,
  sha256: string,
  examples: Example[],
): void {
  ctx.db.transaction(() => {
    requireRun(ctx, runId);
    const prev = ctx.db.value("SELECT sha256 FROM task_examples WHERE run_id = ?", [runId]);
    if (prev !== undefined) {
      if (prev !== sha256) throw new LedgerConflictError(`run ${runId} already stores other task examples`);
      return;
    }
    ctx.db.run("INSERT INTO task_examples (run_id, sha256, examples) VALUES (?, ?, ?)", [
      runId,
      sha256,
      JSON.stringify(examples.map((e) => ({ input: e.input, answers: e.answers }))),
    ]);
  });
}

/** See {@link Ledger.getTaskExamples}. */
export function getTaskExamples(
  ctx: LedgerContext,
  runId: string,
): { sha256: string; examples: Example[] } | null {
  requireRun(ctx, runId);
  const row = ctx.db.get("SELECT sha256, examples FROM task_examples WHERE run_id = ?", [runId]) as
    | { sha256: string; examples: string }
    | undefined;
  return row ? { sha256: row.sha256, examples: JSON.parse(row.examples) as Example[] } : null;
}
