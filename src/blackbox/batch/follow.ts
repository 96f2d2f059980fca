/**
 * Following one provider batch to its end: submit it (upload, create; each id recorded before the next
 * step), poll it, read its results, write every answer to the response cache, record the batch as
 * collected, then route the results back: answers to their calls, failed requests into a follow-up batch
 * (or rejected), and, when the batch cannot be followed, its calls rejected (it stays recorded).
 */
import { UserError } from "../../util/errors.js";
import { scrub } from "../attempt.js";
import type { ResponseCache } from "../cache.js";
import type { BatchSettings } from "../settings.js";
import type { ProviderResponse } from "../types.js";
import { type ApiCallContext, callBatchApi } from "./api-call.js";
import { BatchCancelledError, BatchRequestError } from "./errors.js";
import type { Entry, Job } from "./job.js";
import { BATCH_TRANSFER_TIMEOUT_MS } from "./timeouts.js";
import type { BatchApi, BatchEvent, BatchLine, BatchState, BatchStore, LineResult } from "./types.js";

/** What following a batch needs of the dispatcher. */
export interface FollowContext extends ApiCallContext {
  readonly provider: string;
  readonly model: string;
  readonly api: BatchApi;
  readonly store: BatchStore;
  readonly cache: ResponseCache | undefined;
  readonly batch: BatchSettings;
  /** `e` goes to the provider in this session (counted; its payer's onSend called). */
  send(e: Entry): void;
  answer(e: Entry, res: ProviderResponse): void;
  reject(e: Entry, err: unknown): void;
  /** Failed requests of a batch go into a new one (attempt `attempt`). */
  submit(entries: Entry[], attempt: number): void;
  chunks(entries: Entry[]): Generator<Entry[]>;
  forgetStored(job: Job): void;
  /** Wait between polls; false when closed meanwhile. */
  wait(ms: number): Promise<boolean>;
  emitBatch(type: BatchEvent["type"], job: Job, state: BatchState, message?: string): void;
}

/** Follow `job` to its end; never rejects (failures reject the job's calls). */
export async function followBatch(ctx: FollowContext, job: Job): Promise<void> {
  const rec = job.record;
  const api = ctx.api;
  try {
    let state: BatchState;
    if (!rec.batchId) {
      // A request is paid for once it is in a batch the provider may run, so its spend is logged after
      // the upload (a process killed while uploading logged nothing: the next session submits the
      // requests again and logs them then) and before the file id is recorded (a session resuming from
      // the recorded file does not log them again).
      const logSends = () => {
        if (!job.resumed) for (const e of job.entries.values()) ctx.send(e);
      };
      let created: { id: string; state: BatchState } | undefined;
      if (!api.upload || rec.fileId) logSends();
      if (api.upload) {
        if (!rec.fileId) {
          const lines = job.lines as BatchLine[];
          ctx.emitBatch("submitted", job, {
            status: "uploading",
            ended: false,
            done: 0,
            failed: 0,
            total: lines.length,
          });
          rec.fileId = await callBatchApi(
            ctx,
            "upload",
            (signal) => api.upload!(lines, rec.key, signal),
            BATCH_TRANSFER_TIMEOUT_MS,
          );
          logSends();
          rec.status = "uploaded";
          ctx.store.put(rec);
        } else if (api.findByFile) {
          // killed after the upload: a batch may have been created from the file before the kill
          const fileId = rec.fileId;
          created = await callBatchApi(ctx, "find", (signal) => api.findByFile!(fileId, signal));
        }
      }
      if (ctx.closed()) return;
      created ??= await callBatchApi(ctx, "create", (signal) =>
        api.create({ lines: job.lines, fileId: rec.fileId ?? undefined, key: rec.key }, signal),
      );
      rec.batchId = created.id;
      rec.status = created.state.status;
      ctx.store.put(rec);
      state = created.state;
    } else {
      state = await poll(ctx, job);
    }
    job.state = state;
    ctx.emitBatch("submitted", job, state);
    if (job.cancelRequested && !state.ended) {
      const batchId = rec.batchId as string;
      await callBatchApi(ctx, "cancel", (signal) => api.cancel(batchId, signal)).catch(() => {});
    }
    while (!state.ended) {
      if (!(await ctx.wait(ctx.batch.pollMs))) return;
      state = await poll(ctx, job);
      ctx.emitBatch("poll", job, state);
    }
    const ended = state;
    const results = await callBatchApi(
      ctx,
      "results",
      (signal) => api.results(rec.batchId as string, ended, signal),
      BATCH_TRANSFER_TIMEOUT_MS,
    );
    if (ctx.closed()) return;
    collect(ctx, job, ended, results);
  } catch (err) {
    fail(ctx, job, err);
  }
}

/** One poll (transient failures retried); a new status is recorded. */
async function poll(ctx: FollowContext, job: Job): Promise<BatchState> {
  const rec = job.record;
  const batchId = rec.batchId as string;
  const state = await callBatchApi(ctx, "poll", (signal) => ctx.api.retrieve(batchId, signal));
  job.state = state;
  if (state.status !== rec.status && !ctx.closed()) {
    rec.status = state.status;
    ctx.store.put(rec);
  }
  return state;
}

/** An ended batch: answers to the cache, the batch recorded as collected, then calls settled or retried. */
function collect(ctx: FollowContext, job: Job, state: BatchState, results: LineResult[]): void {
  const rec = job.record;
  const byId = new Map<string, LineResult>();
  for (const r of results) {
    byId.set(r.customId, r);
    if (r.ok) ctx.cache?.put(r.customId, { provider: ctx.provider, model: ctx.model }, r.response);
  }
  rec.status = "collected";
  ctx.store.put(rec);
  ctx.forgetStored(job);
  ctx.emitBatch("ended", job, state);
  const retry: Entry[] = [];
  const cancelled = job.cancelRequested || state.status === "cancelled";
  const maxRetries = ctx.batch.maxRetries;
  for (const e of job.entries.values()) {
    const r = byId.get(e.customId);
    if (r?.ok) {
      ctx.answer(e, r.response);
      continue;
    }
    const why = r
      ? r.error
      : `no result (batch status ${state.status}${state.errors ? `: ${state.errors}` : ""})`;
    e.errors.push(`${rec.batchId}: ${why}`);
    const kind = r ? r.kind : cancelled ? "cancelled" : "retry";
    if (kind === "cancelled" || job.cancelRequested) {
      ctx.reject(
        e,
        new BatchCancelledError(`${ctx.id}: provider batch ${rec.batchId} was cancelled: ${why}`),
      );
    } else if (kind === "permanent") {
      ctx.reject(
        e,
        new BatchRequestError(`${ctx.id}: the provider refused the request in batch ${rec.batchId}: ${why}`),
      );
    } else if (e.attempt >= maxRetries) {
      ctx.reject(
        e,
        new BatchRequestError(
          `${ctx.id}: request ${e.customId.slice(0, 12)} failed in ${e.attempt + 1} provider batch(es) ` +
            `(--batch-max-retries ${maxRetries}): ${e.errors.join("; ")}`,
        ),
      );
    } else {
      retry.push(e);
    }
  }
  if (retry.length > 0 && !ctx.closed()) {
    ctx.emitBatch("retry", job, state, `${retry.length} request(s) go into a follow-up batch`);
    for (const chunk of ctx.chunks(retry)) ctx.submit(chunk, rec.attempt + 1);
  }
}

/** The batch could not be followed: its calls reject (the batch stays recorded for a resume). */
function fail(ctx: FollowContext, job: Job, err: unknown): void {
  if (ctx.closed()) return;
  scrub(err, false);
  const batchId = job.record.batchId;
  if (batchId && err instanceof Error && !(err instanceof UserError)) {
    try {
      err.message = `${err.message} (provider batch ${batchId} is recorded: resuming the run polls it again)`;
    } catch {
      // a frozen error
    }
  }
  ctx.emitBatch(
    "failed",
    job,
    job.state ?? {
      status: job.record.status,
      ended: false,
      done: 0,
      failed: 0,
      total: job.record.customIds.length,
    },
    err instanceof Error ? err.message : String(err),
  );
  for (const e of job.entries.values()) ctx.reject(e, err);
}
