/** Provider batch APIs (`--batch-api`): the black box in batch mode, its store and the providers' adapters. */
export { createAnthropicBatchApi } from "../providers/anthropic-batch.js";
export { createOpenAIBatchApi } from "../providers/openai-batch.js";
export {
  asBatchBlackBox,
  BATCH_DEFAULTS,
  type BatchBlackBox,
  type BatchBlackBoxOptions,
  BatchCancelledError,
  BatchRequestError,
  cancelCommand,
  createBatchBlackBox,
} from "./batch-black-box.js";
export { memoryBatchStore } from "./memory-store.js";
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
