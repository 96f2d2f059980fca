import { tailOf } from "./chunks.js";

/**
 * Where batch `it` of a search starts (`start`, the index of its first record) and what its proposal
 * knows: records [0, dataEnd) are data, and the soft prompts of [dataEnd, start) are pending (proposed,
 * still being scored). Without pipelining dataEnd = start. Pipelined (`pipelined`), batch it + 1 is
 * proposed once all but the last generation chunk of batch it are scored (that chunk is then scored
 * while the next batch is generated), so dataEnd = start - tailOf(size of the previous batch).
 */
export interface BatchWindow {
  start: number;
  dataEnd: number;
}

/** The window of every batch of a search with these batch sizes (see {@link BatchWindow}). */
export function batchWindows(sizes: readonly number[], pipelined: boolean): BatchWindow[] {
  let start = 0;
  return sizes.map((size, it) => {
    const w = { start, dataEnd: pipelined && it > 0 ? start - tailOf(sizes[it - 1]) : start };
    start += size;
    return w;
  });
}
