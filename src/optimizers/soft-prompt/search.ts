import type { EvaluationRecord } from "../../store/types.js";
import { UserError } from "../../util/errors.js";
import { isPerfect } from "../racing.js";
import type { MethodContext } from "../types.js";
import { type BatchCheckpoints, batchCheckpoints, type StoredBatch } from "./checkpoint.js";
import { generateAhead, stopGenerating } from "./chunks.js";
import { streamNovel } from "./distinct.js";
import type { Pick } from "./pick.js";
import { batchWindows } from "./pipeline.js";
import { loadOrProposeBatch } from "./propose-batch.js";
import { scoreBatch } from "./score-batch.js";
import { searchSizes } from "./warm-start.js";

/**
 * InstructZero (and its "uniform" baseline): soft prompts -> generator -> instructions -> black-box
 * validation scores -> Gaussian process with the instruction-coupled kernel -> next batch.
 * `uniform` draws every batch uniformly at random in [-1, 1]^d instead of proposing it.
 *
 * Within a batch, generation runs in chunks ahead of evaluation, so the generator (CPU) works while the
 * black box (network) answers, and several candidates are scored at once so the black box's concurrency
 * stays in use; records are stored in index order. Scores do not depend on the order of queries. A soft
 * prompt's instruction may depend on the other rows of its chunk (q8 generators quantise activations
 * per tensor, over the whole chunk), so chunk boundaries depend only on positions in the batch, also
 * when a run is resumed.
 *
 * Resumable at any point: each batch's points are stored in the ledger before anything is generated or
 * evaluated, evaluations are appended one by one, and black-box answers are in the response cache, so
 * a resumed run continues exactly where the interrupted one stopped.
 *
 * Racing (`racing`, see ../racing.ts) scores each candidate block by block against the best fully
 * scored candidate before it; a raced record that stopped early holds the scores of a prefix of the
 * validation set, which BO takes as a noisier observation (see src/bo/propose.ts). With
 * `stopAtPerfect` the search ends at the first record scoring 1 on every validation example.
 */
export async function runSoftPromptSearch(ctx: MethodContext): Promise<void> {
  const { config, ledger, runId } = ctx;
  if (!ctx.generator) throw new UserError(`method ${config.method} needs a generator (--generator)`);
  const checkpoints = batchCheckpoints(ledger, runId);
  const records: EvaluationRecord[] = ledger.evaluations(runId);
  const sizes = searchSizes(config);
  const pipelined = config.pipelined === true;
  // first index of each batch, and the records each batch's proposal is fitted on (pipelined: all but
  // the previous batch's last generation chunk, whose soft prompts are pending)
  const windows = batchWindows(sizes, pipelined);
  const dataEnd = (it: number) => windows[it].dataEnd;
  let previousState: unknown;
  let early: Promise<PreparedBatch | null> | null = null;
  const total = ctx.splits.validation.length;
  for (let it = 0; it < sizes.length; it++) {
    if (config.stopAtPerfect && records.some((r) => isPerfect(r, total))) return;
    const start = windows[it].start;
    const size = sizes[it];
    const done = records.length - start;
    if (done >= size) {
      previousState = checkpoints.get(it)?.proposerState;
      continue;
    }
    const beforeThis = () => records.slice(0, start).map((r) => r.instruction);
    const current: PreparedBatch =
      (early ? await early : null) ??
      (await prepareBatch(
        ctx,
        checkpoints,
        it,
        size,
        done,
        records.slice(0, dataEnd(it)),
        records.slice(dataEnd(it), start).map((r) => r.z!),
        previousState,
        beforeThis,
      ));
    early = null;
    previousState = current.batch.proposerState;
    // pipelined: the next batch is proposed and generated while this one's last chunk is scored
    const cutoff = it + 1 < sizes.length ? dataEnd(it + 1) : Number.POSITIVE_INFINITY;
    let reachCutoff = () => {};
    const atCutoff = new Promise<void>((resolve) => {
      reachCutoff = resolve;
    });
    const onAppend = () => {
      if (records.length >= cutoff) reachCutoff();
    };
    onAppend();
    const scoring = scoreBatch(ctx, it, start, size, done, current.picks, records, onAppend);
    if (it + 1 < sizes.length && cutoff < windows[it + 1].start) {
      const state = previousState;
      const next = (async (): Promise<PreparedBatch | null> => {
        await Promise.race([atCutoff, scoring]);
        if (records.length < cutoff || ctx.signal?.aborted) return null;
        // every instruction of this batch is generated before the next batch starts generating
        const picks: Pick[] = await Promise.all(current.picks.slice(done));
        if (picks.some((p) => p === null) || ctx.signal?.aborted) return null;
        const before = [
          ...records.slice(0, start + done).map((r) => r.instruction),
          ...picks.map((p) => p?.text ?? ""),
        ];
        // the soft prompts still being scored: this batch's from the cutoff on
        const pending = [...records.slice(0, start + done).map((r) => r.z!), ...picks.map((p) => p!.z)].slice(
          cutoff,
        );
        return prepareBatch(
          ctx,
          checkpoints,
          it + 1,
          sizes[it + 1],
          0,
          records.slice(0, cutoff),
          pending,
          state,
          () => before,
        );
      })();
      next.catch(() => {}); // awaited by the next iteration (or on interruption below)
      early = next;
    }
    const finished = await scoring;
    if (!finished) {
      await early?.catch(() => null);
      return;
    }
    if (config.stopAtPerfect && records.length > 0 && isPerfect(records[records.length - 1], total)) {
      // the search is over: nothing is generated any more, and nothing runs on after it
      stopGenerating(ctx);
      const next = await early?.catch(() => null);
      await Promise.allSettled([...current.picks, ...(next?.picks ?? [])]);
      return;
    }
  }
}

/** A batch's stored checkpoint and one promise per candidate to score (from `from` on). */
interface PreparedBatch {
  batch: StoredBatch;
  picks: Promise<Pick>[];
}

/**
 * Load or propose batch `it` (fitted on `data`, avoiding the `pending` soft prompts) and start
 * generating its instructions from index `from`. `before` lists the instructions of every record
 * before the batch (distinct batches keep new ones).
 */
async function prepareBatch(
  ctx: MethodContext,
  checkpoints: BatchCheckpoints,
  it: number,
  size: number,
  from: number,
  data: readonly EvaluationRecord[],
  pending: readonly number[][],
  previousState: unknown,
  before: () => readonly string[],
): Promise<PreparedBatch> {
  const batch = await loadOrProposeBatch(ctx, checkpoints, it, size, data, pending, previousState);
  const save = (b: StoredBatch) => checkpoints.put(it, b);
  const picks =
    batch.candidates && !batch.instructions
      ? streamNovel(ctx, batch, size, before(), save)
      : generateAhead(ctx, batch, from, save);
  return { batch, picks };
}
