/** What the batch dispatcher keeps of waiting calls, distinct requests and the provider batches it follows. */
import type { CompleteOptions, CompletionRequest, ProviderResponse } from "../types.js";
import type { BatchJobRecord, BatchLine, BatchState } from "./types.js";

/** An answer routed back to a call: `paid` is false for answers an earlier session paid for. */
export interface Dispatched {
  response: ProviderResponse;
  paid: boolean;
}

/** One waiting call. */
export interface Waiter {
  callId: string;
  resolve(d: Dispatched): void;
  reject(err: unknown): void;
  onSend?: CompleteOptions["onSend"];
  signal?: AbortSignal;
}

/** One distinct request (a custom id) with the calls waiting for it. */
export interface Entry {
  customId: string;
  request: CompletionRequest;
  waiters: Waiter[];
  /** The call that paid for it (its onSend was called); the others share the answer at cost 0. */
  payer?: Waiter;
  /** The attempt number of the batch it is in (0: first batch). */
  attempt: number;
  /** In a batch an earlier session submitted: answered as a cache hit (that session counted it). */
  resumed: boolean;
  /** Why earlier batches did not answer it. */
  errors: string[];
  /** Counted as sent in its current batch. */
  sent: boolean;
}

/** One provider batch followed by this session. */
export interface Job {
  record: BatchJobRecord;
  /** Calls of this session waiting for the batch, by custom id. */
  entries: Map<string, Entry>;
  /** The requests (batches this session submits; absent for batches of earlier sessions). */
  lines?: BatchLine[];
  /** Submitted by an earlier session. */
  resumed: boolean;
  running: boolean;
  cancelRequested: boolean;
  startedAt: number;
  state?: BatchState;
}
