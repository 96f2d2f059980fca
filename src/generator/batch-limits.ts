/**
 * Batch size of the local black box (no imports: read by the black-box client, which must not load
 * onnxruntime-node for API-only use). Its default concurrency for local: targets equals it, so the
 * requests of a full batch are in the provider at once.
 */
export const LOCAL_BATCH_SIZE = 8;
