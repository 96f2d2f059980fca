/**
 * Types of the provider Batch API layer (`--batch-api`): what a provider adapter does (OpenAI Batch
 * API, Anthropic Message Batches), what the run ledger keeps of each batch so that a killed run resumes
 * polling it, and the progress events a display draws while a batch runs.
 */
import type { CompletionRequest, ProviderResponse } from "../types.js";

/** Providers with a batch API. */
export type BatchProviderName = "openai" | "anthropic";

/** One request of a batch: its custom id (the request's response-cache key) and the normalised request. */
export interface BatchLine {
  customId: string;
  /** Prompt plus parameters with the black box's defaults filled in (what the cache key was built from). */
  request: CompletionRequest;
}

/** A batch as the provider reports it, in the provider's words plus common counts. */
export interface BatchState {
  /**
   * The provider's status: OpenAI validating | in_progress | finalizing | completed | failed | expired |
   * cancelling | cancelled; Anthropic in_progress | canceling | ended.
   */
  status: string;
  /** No more change will come: results (possibly none) can be read. */
  ended: boolean;
  /** Requests finished so far (answered or failed), of `total`. */
  done: number;
  /** Of `done`, requests that failed (errored, expired, cancelled). */
  failed: number;
  total: number;
  /** OpenAI: the output file (answers) and error file (failed requests), once the batch ended. */
  outputFileId?: string;
  errorFileId?: string;
  /** Batch-level errors (OpenAI: why validation failed), as one line of text. */
  errors?: string;
}

/** How one request of a batch ended. */
export type LineResult =
  | { customId: string; ok: true; response: ProviderResponse }
  | {
      customId: string;
      ok: false;
      /** What the provider said. */
      error: string;
      /**
       * retry: worth a follow-up batch (server error, rate limit, expired, unreadable answer);
       * permanent: the request itself is wrong (HTTP 400-like), a retry fails the same way;
       * cancelled: the batch was cancelled (by {@link BatchBlackBox.cancel} or at the provider).
       */
      kind: "retry" | "permanent" | "cancelled";
    };

/**
 * One provider's batch endpoints. Methods throw the typed errors of ../errors.ts (transient ones are
 * retried by the caller). `signal` aborts the HTTP request (the caller's timeout).
 */
export interface BatchApi {
  readonly provider: BatchProviderName;
  /** OpenAI: upload the JSONL input file (purpose "batch"); returns its id. Absent for Anthropic. */
  upload?(lines: BatchLine[], key: string, signal: AbortSignal): Promise<string>;
  /** Create the batch: from the uploaded file (OpenAI) or from the lines (Anthropic). */
  create(
    input: { lines: BatchLine[] | undefined; fileId: string | undefined; key: string },
    signal: AbortSignal,
  ): Promise<{ id: string; state: BatchState }>;
  /**
   * OpenAI: the batch already created from `fileId`, if any (a process killed between creating it and
   * recording its id): looked up before creating again. Absent for Anthropic.
   */
  findByFile?(fileId: string, signal: AbortSignal): Promise<{ id: string; state: BatchState } | undefined>;
  /** The batch's current state (one poll). */
  retrieve(batchId: string, signal: AbortSignal): Promise<BatchState>;
  /** Every line's result of an ended batch (lines without a result are simply absent). */
  results(batchId: string, state: BatchState, signal: AbortSignal): Promise<LineResult[]>;
  /** Ask the provider to cancel the batch (it goes on to cancelled / ended with partial results). */
  cancel(batchId: string, signal: AbortSignal): Promise<void>;
}

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
