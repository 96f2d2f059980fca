/** A {@link BatchStore} in memory: batches survive a dropped black box, not the process (tests, library). */
import type { BatchJobRecord, BatchStore } from "./types.js";

/** An in-memory batch store; `records()` shows what it holds (tests). */
export function memoryBatchStore(): BatchStore & { records(): BatchJobRecord[] } {
  const rows = new Map<string, BatchJobRecord>();
  const copy = (r: BatchJobRecord): BatchJobRecord => ({ ...r, customIds: [...r.customIds] });
  return {
    get: (key) => {
      const r = rows.get(key);
      return r && copy(r);
    },
    put: (job) => {
      const now = new Date().toISOString();
      const prev = rows.get(job.key);
      rows.set(job.key, { ...copy(job), createdAt: prev?.createdAt ?? now, updatedAt: now });
    },
    open: () => [...rows.values()].filter((r) => r.status !== "collected").map(copy),
    records: () => [...rows.values()].map(copy),
  };
}
