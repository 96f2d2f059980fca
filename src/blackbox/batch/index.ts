/** Provider batch APIs (`--batch-api`): the batch black box, its store and its provider adapters. */
export { createAnthropicBatchApi } from "./anthropic-batch.js";
export {
  asBatchBlackBox,
  BATCH_DEFAULTS,
  BatchBlackBox,
  type BatchBlackBoxOptions,
  BatchCancelledError,
  BatchRequestError,
  cancelCommand,
  createBatchBlackBox,
} from "./batch-black-box.js";
export { memoryBatchStore } from "./memory-store.js";
export { createOpenAIBatchApi } from "./openai-batch.js";
export { jobKey, normalizeRequest, requestKey } from "./request.js";
export type {
  ActiveBatch,
  BatchApi,
  BatchEvent,
  BatchJobRecord,
  BatchLine,
  BatchProviderName,
  BatchState,
  BatchStore,
  LineResult,
} from "./types.js";
