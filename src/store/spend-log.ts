/**
 * The spend log: every attempt of a run's requests that the provider may bill, written before it is
 * sent (pending, at its worst case) and settled once it ends: "paid" (answered: the provider's usage),
 * "abandoned" (given up at the timeout, connection lost, unreadable answer: the provider may still
 * have processed and billed it, so it stays counted at its worst case), or deleted (the provider
 * answered with an error: nothing billed). A crash with attempts in flight counts them too ("lost").
 */
import { type LedgerContext, requireRun } from "./context.js";

/** One paid (answered, not cached) request of a run, as the spend log keeps it. */
export interface SpendEntry {
  /** search, test, ... */
  phase: string;
  /** target (the black box and APE proposals it answers), proposer, judge. */
  source: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Paid requests of a run, summed per source. */
export interface SpendTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Of `calls`, requests in flight when a process died (their tokens unknown, dollars at the worst case). */
  lost: number;
  /**
   * Of `calls`, attempts abandoned without an answer (timeout, lost connection, unreadable answer): the
   * provider may have billed them; their tokens unknown, dollars at the worst case.
   */
  abandoned: number;
}

/** See {@link Ledger.openSpend}. */
export function openSpend(
  ctx: LedgerContext,
  runId: string,
  entry: { phase: string; source: string; worstCostUsd: number },
): number {
  return ctx.db.transaction(() => {
    const seq = ctx.db.value("SELECT COALESCE(MAX(seq), 0) + 1 FROM spend WHERE run_id = ?", [
      runId,
    ]) as number;
    ctx.db.run(
      `INSERT INTO spend (run_id, seq, state, phase, source, input_tokens, output_tokens, cost_usd, at)
         VALUES (?, ?, 'pending', ?, ?, 0, 0, ?, ?)`,
      [runId, seq, entry.phase, entry.source, entry.worstCostUsd, ctx.now().toISOString()],
    );
    return seq;
  });
}

/** See {@link Ledger.closeSpend}. */
export function closeSpend(ctx: LedgerContext, runId: string, seq: number, paid: SpendEntry | null): void {
  if (paid === null) {
    ctx.db.run("DELETE FROM spend WHERE run_id = ? AND seq = ? AND state = 'pending'", [runId, seq]);
    return;
  }
  ctx.db.run(
    `UPDATE spend SET state = 'paid', phase = ?, source = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, at = ?
       WHERE run_id = ? AND seq = ?`,
    [
      paid.phase,
      paid.source,
      paid.inputTokens,
      paid.outputTokens,
      paid.costUsd,
      ctx.now().toISOString(),
      runId,
      seq,
    ],
  );
}

/** See {@link Ledger.abandonSpend}. */
export function abandonSpend(ctx: LedgerContext, runId: string, seq: number): void {
  ctx.db.run(
    "UPDATE spend SET state = 'abandoned', at = ? WHERE run_id = ? AND seq = ? AND state = 'pending'",
    [ctx.now().toISOString(), runId, seq],
  );
}

/** See {@link Ledger.recordSpend}. */
export function recordSpend(ctx: LedgerContext, runId: string, entry: SpendEntry): void {
  ctx.db.transaction(() => {
    const seq = openSpend(ctx, runId, { phase: entry.phase, source: entry.source, worstCostUsd: 0 });
    closeSpend(ctx, runId, seq, entry);
  });
}

/** See {@link Ledger.markLostSpend}. */
export function markLostSpend(ctx: LedgerContext, runId: string): number {
  return ctx.db.run("UPDATE spend SET state = 'lost' WHERE run_id = ? AND state = 'pending'", [runId])
    .changes;
}

/** See {@link Ledger.spendBySource}. */
export function spendBySource(
  ctx: LedgerContext,
  runId: string,
  phase?: string,
): Record<string, SpendTotals> {
  requireRun(ctx, runId);
  const rows = ctx.db.all(
    `SELECT source, COUNT(*) AS calls, SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cost_usd) AS c,
            SUM(CASE WHEN state = 'lost' THEN 1 ELSE 0 END) AS lost,
            SUM(CASE WHEN state = 'abandoned' THEN 1 ELSE 0 END) AS abandoned
       FROM spend WHERE run_id = ? AND state != 'pending'${phase === undefined ? "" : " AND phase = ?"} GROUP BY source`,
    phase === undefined ? [runId] : [runId, phase],
  ) as { source: string; calls: number; i: number; o: number; c: number; lost: number; abandoned: number }[];
  const out: Record<string, SpendTotals> = {};
  for (const r of rows)
    out[r.source] = {
      calls: Number(r.calls),
      inputTokens: Number(r.i),
      outputTokens: Number(r.o),
      costUsd: Number(r.c),
      lost: Number(r.lost),
      abandoned: Number(r.abandoned),
    };
  return out;
}
