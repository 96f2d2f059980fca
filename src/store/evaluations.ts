/** Evaluations: every scored candidate instruction of a run, appended idempotently by index. */
import { LedgerConflictError, type LedgerContext, requireRun, touch } from "./context.js";
import type { EvaluationRecord } from "./types.js";
import { validateRecord } from "./validate.js";

/** Fields of a record that are its result; the rest (calls, tokens, cost, timings) is accounting. */
function resultKey(r: EvaluationRecord): string {
  return JSON.stringify([
    r.iteration,
    r.z,
    r.instruction,
    r.score,
    r.scores,
    r.outputs,
    r.reused,
    r.feedback ?? null,
    r.demos ?? null,
  ]);
}

/** A record with its fields in a fixed order (what is stored). */
function canonicalRecord(r: EvaluationRecord): EvaluationRecord {
  return {
    index: r.index,
    iteration: r.iteration,
    z: r.z === null ? null : [...r.z],
    instruction: r.instruction,
    ...(r.demos ? { demos: r.demos.map((d) => ({ input: d.input, output: d.output })) } : {}),
    score: r.score,
    scores: [...r.scores],
    outputs: [...r.outputs],
    ...(r.feedback ? { feedback: [...r.feedback] } : {}),
    ...(r.judge ? { judge: { ...r.judge } } : {}),
    ...(r.origin ? { origin: r.origin } : {}),
    ...(r.empty ? { empty: true } : {}),
    ...(r.scored !== undefined ? { scored: r.scored } : {}),
    reused: r.reused,
    calls: r.calls,
    cacheHits: r.cacheHits,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    costUsd: r.costUsd,
    generationMs: r.generationMs,
    evaluationMs: r.evaluationMs,
    ...(r.usdPer1k !== undefined ? { usdPer1k: r.usdPer1k } : {}),
    ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
  };
}

/** See {@link Ledger.appendEvaluation}. */
export function appendEvaluation(ctx: LedgerContext, runId: string, record: EvaluationRecord): boolean {
  validateRecord(record);
  const rec = canonicalRecord(record);
  const { db } = ctx;
  return db.transaction(() => {
    const run = requireRun(ctx, runId);
    const prev = db.value("SELECT record FROM evaluations WHERE run_id = ? AND idx = ?", [
      runId,
      rec.index,
    ]) as string | undefined;
    if (prev !== undefined) {
      const old = JSON.parse(prev) as EvaluationRecord;
      if (resultKey(old) === resultKey(rec)) return false;
      throw new LedgerConflictError(
        `run ${runId}: evaluation ${rec.index} is already recorded with a different result ` +
          `(stored instruction ${JSON.stringify(old.instruction.slice(0, 80))}, score ${old.score}; ` +
          `new instruction ${JSON.stringify(rec.instruction.slice(0, 80))}, score ${rec.score}). ` +
          `The run is not reproducible with this setup (changed model, data or options?).`,
      );
    }
    if (run.status === "completed") {
      throw new Error(`run ${runId} is completed; it cannot take more evaluations`);
    }
    const at = ctx.now().toISOString();
    db.run(
      `INSERT INTO evaluations (run_id, idx, iteration, instruction, score, calls, cost_usd, record, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        runId,
        rec.index,
        rec.iteration,
        rec.instruction,
        rec.score,
        rec.calls,
        rec.costUsd,
        JSON.stringify(rec),
        at,
      ],
    );
    touch(ctx, runId, at);
    return true;
  });
}

/** See {@link Ledger.evaluations}. */
export function evaluations(ctx: LedgerContext, runId: string): EvaluationRecord[] {
  requireRun(ctx, runId);
  const rows = ctx.db.column("SELECT record FROM evaluations WHERE run_id = ? ORDER BY idx", [
    runId,
  ]) as string[];
  return rows.map((r) => JSON.parse(r) as EvaluationRecord);
}

/** See {@link Ledger.countEvaluations}. */
export function countEvaluations(ctx: LedgerContext, runId: string): number {
  requireRun(ctx, runId);
  return ctx.db.value("SELECT COUNT(*) FROM evaluations WHERE run_id = ?", [runId]) as number;
}
