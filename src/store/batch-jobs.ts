/** Provider batches of a run (`--batch-api`), recorded so a resumed run collects them instead of paying twice. */
import type { BatchJobRecord, BatchProviderName, BatchStore } from "../blackbox/batch/types.js";
import type { LedgerContext } from "./context.js";
import { fenced, runLockedSince } from "./run-lock.js";

/** A row of batch_jobs. */
interface BatchJobRow {
  run_id: string;
  key: string;
  provider: string;
  model: string;
  file_id: string | null;
  batch_id: string | null;
  status: string;
  attempt: number;
  custom_ids: string;
  created_at: string;
  updated_at: string;
}

function batchJobOf(r: BatchJobRow): BatchJobRecord {
  return {
    key: r.key,
    provider: r.provider as BatchProviderName,
    model: r.model,
    fileId: r.file_id,
    batchId: r.batch_id,
    status: r.status,
    attempt: r.attempt,
    customIds: JSON.parse(r.custom_ids) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** See {@link Ledger.getBatchJob}. */
export function getBatchJob(ctx: LedgerContext, runId: string, key: string): BatchJobRecord | undefined {
  const row = ctx.db.get("SELECT * FROM batch_jobs WHERE run_id = ? AND key = ?", [runId, key]) as
    | BatchJobRow
    | undefined;
  return row && batchJobOf(row);
}

/** See {@link Ledger.putBatchJob}. */
export function putBatchJob(ctx: LedgerContext, runId: string, job: BatchJobRecord): void {
  const at = ctx.now().toISOString();
  ctx.db.run(
    `INSERT INTO batch_jobs (run_id, key, provider, model, file_id, batch_id, status, attempt, custom_ids, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET provider = excluded.provider, model = excluded.model,
         file_id = excluded.file_id, batch_id = excluded.batch_id, status = excluded.status,
         attempt = excluded.attempt, custom_ids = excluded.custom_ids, updated_at = excluded.updated_at`,
    [
      runId,
      job.key,
      job.provider,
      job.model,
      job.fileId,
      job.batchId,
      job.status,
      job.attempt,
      JSON.stringify(job.customIds),
      at,
      at,
    ],
  );
}

/** See {@link Ledger.batchJobs}. */
export function batchJobs(
  ctx: LedgerContext,
  runId: string,
  options: { open?: boolean } = {},
): BatchJobRecord[] {
  const rows = ctx.db.all(
    `SELECT * FROM batch_jobs WHERE run_id = ?${options.open ? " AND status != 'collected'" : ""} ORDER BY created_at, key`,
    [runId],
  ) as BatchJobRow[];
  return rows.map(batchJobOf);
}

/** See {@link Ledger.batchStore}. */
export function batchStore(ctx: LedgerContext, runId?: string): BatchStore {
  const since = ctx.now().toISOString();
  let id = runId;
  const run = (): string => {
    id ??= runLockedSince(ctx, since);
    return id;
  };
  return {
    get: (key) => getBatchJob(ctx, run(), key),
    put: (job) => {
      const id = run();
      fenced(ctx, id, () => putBatchJob(ctx, id, job));
    },
    open: () => batchJobs(ctx, run(), { open: true }),
  };
}
