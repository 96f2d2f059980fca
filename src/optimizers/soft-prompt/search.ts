import type { EvaluationRecord } from "../../store/types.js";
import { sleep } from "../../util/async/index.js";
import { UserError } from "../../util/errors.js";
import { isPerfect } from "../racing.js";
import type { MethodContext } from "../types.js";
import { type BatchCheckpoints, batchCheckpoints, type StoredBatch } from "./checkpoint.js";
import { chunkSizes, generateAhead, generatesWhole, stopGenerating } from "./chunks.js";
import { streamNovel } from "./distinct.js";
import type { Pick } from "./pick.js";
import { type BatchWindow, batchWindows } from "./pipeline.js";
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
 * Pipelined (`pipelined`, see pipeline.ts), each batch after the first is proposed in two parts: its
 * first generation chunk (the head) while the previous batch's last chunk is still being scored (those
 * soft prompts pending), the rest once the previous batch is fully scored (the head pending). The
 * generator then works on the head while the black box scores the previous batch's tail, and on the
 * rest while it scores the head.
 *
 * Resumable at any point: each batch's points (each part's) are stored in the ledger before anything is
 * generated or evaluated, evaluations are appended one by one, and black-box answers are in the response
 * cache, so a resumed run continues exactly where the interrupted one stopped.
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
  // first index of each batch, and what each part of it is proposed from (see pipeline.ts)
  const windows = batchWindows(searchSizes(config), config.pipelined === true);
  let previousState: unknown;
  let early: Promise<PreparedPart | null> | null = null;
  let over = false;
  const total = ctx.splits.validation.length;
  for (let it = 0; it < windows.length; it++) {
    if (config.stopAtPerfect && records.some((r) => isPerfect(r, total))) return;
    const w = windows[it];
    const { start, size } = w;
    const done = records.length - start;
    if (done >= size) {
      previousState = (checkpoints.get(it, 1) ?? checkpoints.get(it))?.proposerState;
      continue;
    }
    const head: PreparedPart =
      (early ? await early : null) ??
      (await prepareHead(
        ctx,
        checkpoints,
        it,
        w,
        done,
        records.slice(0, w.parts[0].dataEnd),
        records.slice(w.parts[0].dataEnd, start).map((r) => r.z!),
        previousState,
        () => records.slice(0, start).map((r) => r.instruction),
      ));
    early = null;
    // the batch's candidates: the head's, then (a split batch) the rest's, proposed once the head's
    // soft prompts are known (every record before the batch is stored by now)
    const count = head.batch.count ?? size;
    const picks: Promise<Pick>[] = head.picks.slice(0, count);
    let rest: Promise<PreparedPart | null> | null = null;
    if (count < size) {
      const known = Math.min(done, count);
      const part = (async (): Promise<PreparedPart | null> => {
        const later = await Promise.all(head.picks.slice(known, count));
        if (later.some((p) => p === null) || ctx.signal?.aborted || over) return null;
        // the head's queries go out before BO holds the event loop
        await sleep(0);
        const headRecords = records.slice(start, start + known);
        const z = [...headRecords.map((r) => r.z!), ...later.map((p) => p!.z)];
        const texts = [...headRecords.map((r) => r.instruction), ...later.map((p) => p!.text)];
        const batch = await loadOrProposeBatch(
          ctx,
          checkpoints,
          it,
          1,
          size,
          size - count,
          records.slice(0, start),
          z,
          head.batch.proposerState,
        );
        const before = () => [...records.slice(0, start).map((r) => r.instruction), ...texts];
        const chunks = chunkSizes(size).slice(1);
        return partPicks(
          ctx,
          checkpoints,
          it,
          1,
          batch,
          size - count,
          Math.max(0, done - count),
          chunks,
          before,
        );
      })();
      part.catch(() => {}); // awaited through the picks below (or on interruption)
      rest = part;
      for (let j = count; j < size; j++) picks[j] = part.then((r) => (r ? r.picks[j - count] : null));
    }
    const lastState = async () => (rest ? (await rest)?.batch.proposerState : head.batch.proposerState);
    // pipelined: the next batch's head is proposed and generated while this one's last chunk is scored
    const next = windows[it + 1];
    const cutoff = next ? next.parts[0].dataEnd : Number.POSITIVE_INFINITY;
    let reachCutoff = () => {};
    const atCutoff = new Promise<void>((resolve) => {
      reachCutoff = resolve;
    });
    const onAppend = () => {
      if (records.length >= cutoff) reachCutoff();
    };
    onAppend();
    const scoring = scoreBatch(ctx, it, start, size, done, picks, records, onAppend);
    if (next && cutoff < next.start) {
      const ahead = (async (): Promise<PreparedPart | null> => {
        await Promise.race([atCutoff, scoring]);
        if (records.length < cutoff || ctx.signal?.aborted) return null;
        // every instruction of this batch is generated before the next batch starts generating
        const later: Pick[] = await Promise.all(picks.slice(done));
        if (later.some((p) => p === null) || ctx.signal?.aborted) return null;
        const state = await lastState();
        const before = [
          ...records.slice(0, start + done).map((r) => r.instruction),
          ...later.map((p) => p?.text ?? ""),
        ];
        // the soft prompts still being scored: this batch's from the cutoff on
        const zs = [...records.slice(0, start + done).map((r) => r.z!), ...later.map((p) => p!.z)];
        return prepareHead(
          ctx,
          checkpoints,
          it + 1,
          next,
          0,
          records.slice(0, cutoff),
          zs.slice(cutoff),
          state,
          () => before,
        );
      })();
      ahead.catch(() => {}); // awaited by the next iteration (or on interruption below)
      early = ahead;
    }
    const finished = await scoring;
    if (!finished) {
      await Promise.allSettled([early, rest]);
      return;
    }
    if (config.stopAtPerfect && records.length > 0 && isPerfect(records[records.length - 1], total)) {
      // the search is over: nothing is generated any more, and nothing runs on after it
      over = true;
      stopGenerating(ctx);
      const ahead = await early?.catch(() => null);
      await Promise.allSettled([...picks, ...(ahead?.picks ?? []), rest]);
      return;
    }
    previousState = await lastState();
  }
}

/** A stored part of a batch (see pipeline.ts) and one promise per candidate to score (from `from` on). */
interface PreparedPart {
  batch: StoredBatch;
  picks: Promise<Pick>[];
}

/**
 * Load or propose the first part of batch `it` (window `w`: the whole batch, or its head when pipelined),
 * fitted on `data` with the `pending` soft prompts, and start generating its instructions from index
 * `from`. `before` lists the instructions of every record before the batch (distinct batches keep new ones).
 */
async function prepareHead(
  ctx: MethodContext,
  checkpoints: BatchCheckpoints,
  it: number,
  w: BatchWindow,
  from: number,
  data: readonly EvaluationRecord[],
  pending: readonly number[][],
  previousState: unknown,
  before: () => readonly string[],
): Promise<PreparedPart> {
  const q = w.parts[0].to;
  const batch = await loadOrProposeBatch(ctx, checkpoints, it, 0, w.size, q, data, pending, previousState);
  const count = batch.count ?? w.size;
  if (count === w.size)
    return partPicks(
      ctx,
      checkpoints,
      it,
      0,
      batch,
      count,
      from,
      chunkSizes(count, generatesWhole(ctx.config)),
      before,
      false,
    );
  return partPicks(ctx, checkpoints, it, 0, batch, count, from, chunkSizes(w.size).slice(0, 1), before);
}

/**
 * One promise per candidate of a stored part (`q` of them) from index `from` (in the part) on: its
 * instructions generated in `chunks`, or read from the checkpoint; distinct, its candidates' generated in
 * chunks of that shape when `split` (else of a batch of q, as an unsplit batch). `before` lists the
 * instructions of every record before the part.
 */
function partPicks(
  ctx: MethodContext,
  checkpoints: BatchCheckpoints,
  it: number,
  part: number,
  batch: StoredBatch,
  q: number,
  from: number,
  chunks: readonly number[],
  before: () => readonly string[],
  split = true,
): PreparedPart {
  const save = (b: StoredBatch) => checkpoints.put(it, b, part);
  const picks =
    batch.candidates && !batch.instructions
      ? streamNovel(ctx, batch, q, before(), save, split ? chunks : undefined)
      : generateAhead(ctx, batch, from, save, chunks);
  return { batch, picks };
}
