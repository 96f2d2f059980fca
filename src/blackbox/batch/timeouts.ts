/** Time limits of provider Batch API calls. */

/** Time allowed for one upload or results download of a batch (large files). */
export const BATCH_TRANSFER_TIMEOUT_MS = 600_000;

/** SDK timeout of a provider's batch endpoints (the caller's abort signal is the real one). */
export function batchTimeoutMs(timeoutMs: number): number {
  return Math.max(timeoutMs, BATCH_TRANSFER_TIMEOUT_MS) + 1000;
}
