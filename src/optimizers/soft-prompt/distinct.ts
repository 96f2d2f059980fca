import type { MethodContext } from "../types.js";
import type { StoredBatch } from "./checkpoint.js";
import { chunkSizes, generateChunk } from "./chunks.js";
import type { Pick } from "./pick.js";

/**
 * `distinct` batches: candidates proposed per evaluated point. The instructions of all candidates are
 * generated, and the first q (best EI first) whose instruction is new are evaluated.
 */
export const DISTINCT_OVERPROPOSAL = 3;

/**
 * The q points of a `distinct` batch, found while generating: the candidates' instructions are
 * generated in chunks in the proposer's order (the first maximises EI), and each candidate whose instruction is new (not scored before
 * this batch, not picked earlier in it) becomes the batch's next point at once, so scoring starts
 * before the whole candidate list is generated; generation stops when q are found. If fewer than q
 * are new, the remaining candidates fill the batch in order (their scores are reused). Generated
 * instructions are checkpointed (`save`) after every chunk, the final points and instructions once known.
 * Deterministic: a resumed batch makes the same picks. Instructions are compared as the candidates
 * will be scored: cleaned by {@link generateChunk} unless the run keeps them raw. Candidates are
 * generated in chunks of `shape`, repeated (default: the chunks of a batch of q, {@link chunkSizes}).
 */
export function streamNovel(
  ctx: MethodContext,
  batch: StoredBatch,
  q: number,
  before: readonly string[],
  save: (batch: StoredBatch) => void,
  shape?: readonly number[],
): Promise<Pick>[] {
  const candidates = batch.candidates ?? [];
  const resolvers: ((p: Pick) => void)[] = [];
  const rejecters: ((err: unknown) => void)[] = [];
  const out = Array.from({ length: q }, (_, j) => {
    const p = new Promise<Pick>((resolve, reject) => {
      resolvers[j] = resolve;
      rejecters[j] = reject;
    });
    p.catch(() => {}); // awaited in order by the caller
    return p;
  });
  const texts = [...(batch.candidateTexts ?? [])];
  const taken = new Set(before);
  const chosen: number[] = [];
  const choose = (i: number, generationMs: number) => {
    chosen.push(i);
    resolvers[chosen.length - 1]({ z: candidates[i], text: texts[i], generationMs });
  };
  const consider = (i: number, generationMs: number) => {
    if (chosen.length < q && !taken.has(texts[i])) {
      taken.add(texts[i]);
      choose(i, generationMs);
    }
  };
  let total = 0;
  const work = async () => {
    for (let i = 0; i < texts.length; i++) consider(i, 0);
    const sizes = shape ?? chunkSizes(Math.min(q, candidates.length));
    const sizeOf = (c: number, a: number) => Math.min(sizes[c % sizes.length], candidates.length - a);
    // resumed: continue the chunk sequence of the interrupted run (texts are checkpointed per chunk)
    let c = 0;
    for (let a = 0; a < texts.length; c++) a += sizeOf(c, a);
    for (; chosen.length < q && texts.length < candidates.length; c++) {
      const a = texts.length;
      const size = sizeOf(c, a);
      const r = await generateChunk(ctx, candidates.slice(a, a + size));
      if (!r) {
        for (let j = chosen.length; j < q; j++) resolvers[j](null);
        return;
      }
      total += r.ms;
      texts.push(...r.rows);
      save({ ...batch, candidateTexts: texts });
      for (let i = a; i < texts.length; i++) consider(i, i === a ? r.ms : 0);
    }
    const picked = new Set(chosen);
    for (let i = 0; i < candidates.length && chosen.length < q; i++) if (!picked.has(i)) choose(i, 0);
    for (let j = chosen.length; j < q; j++)
      rejecters[j](new Error(`distinct batch: only ${chosen.length} candidates`));
    save({
      ...batch,
      candidateTexts: texts,
      points: chosen.map((i) => candidates[i]),
      instructions: chosen.map((i) => texts[i]),
      generationMs: total,
    });
  };
  work().catch((err) => {
    for (let j = chosen.length; j < q; j++) rejecters[j](err);
  });
  return out;
}
