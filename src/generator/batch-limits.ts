/**
 * Batch size of the local black box (no imports: read by the black-box client, which must not load
 * onnxruntime-node for API-only use). Its default concurrency for local: targets equals it, so the
 * requests of a full batch are in the provider at once. 40 = two candidates' validation queries (the
 * paper's validation size is 20; a search scores candidates in pairs, src/optimizers/soft-prompt/
 * pair-groups.ts), each candidate's sharing their prefix. On 2 cores (npm run bench:local -- --batch N,
 * fp32) a query took 82 ms in batches of 8, 70 ms in batches of 16 and 60 ms in batches of 20; q8
 * queries cost 21% less CPU in batches of 40 (two candidates) than of 20.
 */
export const LOCAL_BATCH_SIZE = 40;
