/** A run's final result: the chosen evaluation, test score and totals; recording it completes the run. */
import { type LedgerContext, requireRun } from "./context.js";
import type { RunResult } from "./types.js";
import { validateResult } from "./validate.js";

/** See {@link Ledger.finishRun}. */
export function finishRun(ctx: LedgerContext, runId: string, result: RunResult): void {
  validateResult(runId, result);
  ctx.db.transaction(() => {
    requireRun(ctx, runId);
    const has = ctx.db.get("SELECT 1 FROM evaluations WHERE run_id = ? AND idx = ?", [
      runId,
      result.bestIndex,
    ]);
    if (!has) throw new TypeError(`finishRun(${runId}): no evaluation with index ${result.bestIndex}`);
    const at = ctx.now().toISOString();
    const stored: RunResult = { ...result };
    ctx.db.run(
      `UPDATE runs SET status = 'completed', status_message = NULL, result = ?, finished_at = ?, updated_at = ?
         WHERE id = ?`,
      [JSON.stringify(stored), at, at, runId],
    );
  });
}
