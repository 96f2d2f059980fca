import { chunkSizes, tailOf } from "./chunks.js";

/**
 * One part of a batch: its soft prompts [from, to) (indices in the batch), proposed from the records
 * [0, dataEnd) as data, the soft prompts [dataEnd, start + from) (absolute indices) as pending points.
 */
export interface BatchPart {
  from: number;
  to: number;
  dataEnd: number;
}

/**
 * Where batch `it` of a search starts (`start`, the index of its first record) and how it is proposed:
 * one part or two (see {@link BatchPart}). Without pipelining one part, fitted on every record before
 * the batch. Pipelined ("split"), a batch after the first is proposed in two parts: its first generation
 * chunk (the head) once all but the previous batch's last chunk (the tail) are scored, with the tail
 * pending, so the head is generated while the tail is scored; the rest once the previous batch is fully
 * scored, with the head pending, so it is generated while the head is scored. A batch of one chunk is
 * all head. A proposer that needs no data (initial design, warm start, uniform draws) proposes the whole
 * batch with its first part, and the second part is empty (see runSoftPromptSearch).
 */
export interface BatchWindow {
  start: number;
  size: number;
  parts: BatchPart[];
}

/** The window of every batch of a search with these batch sizes (see {@link BatchWindow}). */
export function batchWindows(sizes: readonly number[], pipelined: boolean): BatchWindow[] {
  let start = 0;
  return sizes.map((size, it) => {
    const whole = { from: 0, to: size, dataEnd: start };
    let parts: BatchPart[] = [whole];
    if (pipelined && it > 0) {
      const head = chunkSizes(size)[0] ?? size;
      parts = [{ from: 0, to: head, dataEnd: start - tailOf(sizes[it - 1]) }];
      if (head < size) parts.push({ from: head, to: size, dataEnd: start });
    }
    const w = { start, size, parts };
    start += size;
    return w;
  });
}

/** Seed label of part `part` of a step whose first part's label is `label` (the first keeps it). */
export function partLabel(label: string, part: number): string {
  return part === 0 ? label : `${label}:rest`;
}
