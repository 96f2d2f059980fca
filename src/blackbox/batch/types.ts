/**
 * Types of the provider Batch API layer (`--batch-api`): what a provider adapter does (OpenAI Batch
 * API, Anthropic Message Batches), what the run ledger keeps of each batch so that a killed run resumes
 * polling it, and the progress events a display draws while a batch runs.
 */
import type { BatchApi, BatchLine, BatchState, LineResult } from "../types.js";

export type { BatchApi, BatchLine, BatchState, LineResult };

/** A provider with a batch API, by its name ("openai", "anthropic"; see `Provider.batch`). */
export type BatchProviderName = string;

/** What the run ledger keeps of one provider batch (table batch_jobs). */
export interface BatchJobRecord {
  /** sha256 of the sorted custom ids (follow-up batches: with their attempt number); see `jobKey`. */
  key: string;
  provider: BatchProviderName;
  model: string;
  /** OpenAI: the uploaded input file; null before the upload (and always for Anthropic). */
  fileId: string | null;
  /** The provider's batch id; null between the upload and the creation of the batch. */
  batchId: string | null;
  /**
   * "uploaded" (file, no batch yet), then the provider's status as last polled, then "collected" once
   * every answer of the batch is in the response cache (nothing left to fetch).
   */
  status: string;
  /** 0 for a step's first batch, n for the n-th follow-up batch of failed requests. */
  attempt: number;
  /** Custom ids (response-cache keys) of the batch's requests, sorted. */
  customIds: string[];
  /** ISO times, set by the store. */
  createdAt?: string;
  updatedAt?: string;
}

/**
 * Where a batch black box records its batches, before each next step (upload -> create -> polls ->
 * collected), so that a run killed at any moment resumes them: the run ledger for a run
 * (`Ledger.batchStore(runId)`), or {@link memoryBatchStore} (no resume across processes).
 */
export interface BatchStore {
  get(key: string): BatchJobRecord | undefined;
  /** Insert or replace the record of `job.key` (committed before returning). */
  put(job: BatchJobRecord): void;
  /** Records not yet collected (a resumed session attaches requests to them, however grouped). */
  open(): BatchJobRecord[];
}

/** Progress of provider batches, for a progress line while waiting. Never holds a key. */
export interface BatchEvent {
  type:
    | "submitted" /** a batch was created (or a stored one resumed) */
    | "poll" /** a poll returned */
    | "ended" /** the batch ended and its results were collected */
    | "retry" /** failed requests go into a follow-up batch */
    | "failed" /** the batch could not be followed (an API error): its calls were rejected */;
  provider: BatchProviderName;
  /** The provider's batch id (absent while uploading). */
  batchId?: string;
  key: string;
  /** The provider's status word (see {@link BatchState.status}). */
  status: string;
  /** Requests finished (answered or failed) and their total, as the provider counts them. */
  done: number;
  total: number;
  failed: number;
  /** Milliseconds since the batch was submitted (or, resumed, since this session started following it). */
  elapsedMs: number;
  /** 0 for a first batch, n for the n-th follow-up. */
  attempt: number;
  /** True when the batch was submitted by an earlier session (a resumed run). */
  resumed: boolean;
  /** "retry" / "failed": what went wrong. */
  message?: string;
}

/** A batch still running at the provider (for the interrupt message and `cancel()`). */
export interface ActiveBatch {
  provider: BatchProviderName;
  batchId: string | undefined;
  fileId: string | undefined;
  status: string;
  done: number;
  total: number;
  elapsedMs: number;
}
