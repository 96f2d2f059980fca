import { cleanInstruction } from "../clean-instruction.js";
import type { MethodContext } from "../types.js";
import type { StoredBatch } from "./checkpoint.js";
import { searchesDemos, softPromptOf } from "./demo-set.js";
import type { Pick } from "./pick.js";

/**
 * Sizes of the chunks a batch of n soft prompts is generated in, as fractions of n: the next chunk is
 * generated while the black box scores the ones before. Batched decoding costs per instruction about
 * 4 s at batch 1, 1.3 s at 4 and 0.8 s from 10 on (smol135 shapes, 2 cores), about what scoring one
 * instruction costs (20 queries, 300 ms, 8 at a time): small chunks start scoring earlier but slow the
 * generator down. Simulated over every split of 25 into at most 5 chunks with those figures,
 * 10 + 9 + 6 gives the shortest batch (26.8 s; 5 x 5: 32.8 s; one chunk: 39.2 s).
 */
const CHUNK_SHAPE = [10, 9, 6];

/**
 * True when a batch is generated whole, in one chunk: the black box is a local model (`local:`) on the
 * same cores, so scoring a chunk while the next one is generated overlaps nothing (both are
 * CPU-bound), and a whole batch decodes far more cheaply: on the Qwen2.5-0.5B-shaped model (q8, 2
 * cores) 25 instructions of 32 tokens cost 23.7 s of CPU at once against 34.5 s as 10 + 9 + 6
 * (npx tsx bench/gen-chunks.ts). A pipelined search keeps the chunks: it proposes a batch's first chunk early
 * and the rest later (pipeline.ts).
 */
export function generatesWhole(config: { target: string; pipelined?: boolean }): boolean {
  return config.target.startsWith("local:") && config.pipelined !== true;
}

/** Chunk sizes for n soft prompts (see {@link CHUNK_SHAPE}; one chunk when `whole`); they sum to n. */
export function chunkSizes(n: number, whole = false): number[] {
  if (n <= 0) return [];
  if (whole) return [n];
  const total = CHUNK_SHAPE.reduce((a, b) => a + b, 0);
  const sizes: number[] = [];
  let done = 0;
  let acc = 0;
  for (const w of CHUNK_SHAPE) {
    acc += w;
    const upTo = Math.round((acc / total) * n);
    if (upTo > done) sizes.push(upTo - done);
    done = Math.max(done, upTo);
  }
  return sizes;
}

/** Size of the last generation chunk of a batch of n (the part a pipelined next batch's first chunk does not wait for). */
export function tailOf(n: number): number {
  const c = chunkSizes(n);
  return c[c.length - 1] ?? 0;
}

/**
 * One promise per soft prompt of the batch (from index `from` on), generated in chunks one after the
 * other in the background. When the whole batch is generated its instructions are stored (`save`), so a
 * resumed run does not generate them again. `chunks`: the chunk sizes (default: the batch's own,
 * {@link chunkSizes}; a part of a split batch passes its share of the whole batch's chunks).
 */
export function generateAhead(
  ctx: MethodContext,
  batch: StoredBatch,
  from: number,
  save: (batch: StoredBatch) => void,
  chunks: readonly number[] = chunkSizes(batch.points.length, generatesWhole(ctx.config)),
): Promise<Pick>[] {
  const n = batch.points.length;
  const out: Promise<Pick>[] = new Array(n);
  if (batch.instructions) {
    const texts = batch.instructions;
    for (let j = 0; j < n; j++)
      out[j] = Promise.resolve({
        z: batch.points[j],
        text: texts[j],
        generationMs: j === 0 ? (batch.generationMs ?? 0) : 0,
      });
    return out;
  }
  const texts: string[] = new Array(n).fill("");
  let chain: Promise<unknown> = Promise.resolve();
  let total = 0;
  let next = 0;
  // the chunks of an uninterrupted run, also when resuming at `from`: a chunk already partly
  // scored is generated whole again, as its rows may depend on each other (see runSoftPromptSearch)
  for (const chunk of chunks) {
    const a = next;
    next += chunk;
    if (next <= from) continue;
    const p = chain.then(() => generateChunk(ctx, batch.points.slice(a, a + chunk)));
    chain = p;
    for (let j = Math.max(a, from); j < a + chunk; j++) {
      out[j] = p.then((r) => {
        if (!r) return null;
        if (j === a) total += r.ms;
        texts[j] = r.rows[j - a];
        return { z: batch.points[j], text: r.rows[j - a], generationMs: j === a ? r.ms : 0 };
      });
      out[j].catch(() => {}); // awaited in order by the caller; avoid an unhandled rejection meanwhile
    }
  }
  if (from === 0)
    void Promise.all(out)
      .then((picks) => {
        if (picks.every((p) => p !== null))
          save({
            ...batch,
            instructions: texts,
            generationMs: total,
          });
      })
      .catch(() => {});
  return out;
}

/** Searches that need no more instructions (see {@link stopGenerating}). */
const stopped = new WeakSet<MethodContext>();

/**
 * The search of `ctx` has ended (a perfect score with `stopAtPerfect`): chunks not yet started are
 * not generated (their picks resolve to null), the one under way finishes.
 */
export function stopGenerating(ctx: MethodContext): void {
  stopped.add(ctx);
}

/**
 * Generate the instructions of `zs` (timed); null when the run was interrupted or its search has
 * ended ({@link stopGenerating}). The generator's texts
 * are cleaned ({@link cleanInstruction}) unless the run keeps them raw (`rawInstructions`): these are
 * the candidates' instructions, checkpointed as they are (cleaning is deterministic).
 */
export async function generateChunk(
  ctx: MethodContext,
  zs: number[][],
): Promise<{ rows: string[]; ms: number } | null> {
  if (ctx.signal?.aborted || stopped.has(ctx)) return null;
  const t0 = performance.now();
  const raw = ctx.config.rawInstructions === true;
  // demoSearch: the generator sees the soft-prompt part of each point (see demo-set.ts)
  const soft = searchesDemos(ctx) ? zs.map((z) => softPromptOf(ctx, z)) : zs;
  const rows = (await ctx.generator!.generate(soft, ctx.demos)).map((g) =>
    raw ? g.text : cleanInstruction(g.text),
  );
  const ms = performance.now() - t0;
  ctx.timing.generationMs += ms;
  return { rows, ms };
}
