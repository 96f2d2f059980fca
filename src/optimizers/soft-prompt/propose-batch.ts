import type { EvaluationRecord } from "../../store/types.js";
import { seedFor } from "../../util/rng.js";
import { bestIndex } from "../score-candidate.js";
import type { MethodContext, PointProposer } from "../types.js";
import type { BatchCheckpoints, StoredBatch } from "./checkpoint.js";
import { searchDim } from "./demo-set.js";
import { DISTINCT_OVERPROPOSAL } from "./distinct.js";
import { partLabel } from "./pipeline.js";
import { initialBatch, observedValues, warmStartBatch } from "./warm-start.js";

/**
 * The stored points of part `part` of batch `it` (see pipeline.ts), or new ones from the method's point
 * proposer (initial design, then BO or random draws, fitted on `records` and avoiding the `pending`
 * soft prompts), stored before use. Part 0 proposes `q` points when BO proposes it from data (the head
 * of a split batch when q < size: checkpointed with `count`), else the whole batch of `size`; part 1 (the
 * rest of a split batch) proposes its `q`. In `distinct` mode BO over-proposes and the candidates are
 * stored instead (see `streamNovel` in distinct.ts).
 */
export async function loadOrProposeBatch(
  ctx: MethodContext,
  checkpoints: BatchCheckpoints,
  it: number,
  part: number,
  size: number,
  q: number,
  records: readonly EvaluationRecord[],
  pending: readonly number[][],
  previousState: unknown,
): Promise<StoredBatch> {
  const { config } = ctx;
  const stored = checkpoints.get(it, part);
  if (stored) return stored;

  const d = searchDim(ctx);
  const t0 = performance.now();
  let batch: StoredBatch;
  const proposer = requireProposer(ctx);
  const step = {
    seed: seedFor(config.seed, partLabel(`bo:${it}`, part)),
    runSeed: config.seed,
    iteration: it,
    dim: d,
    batchMode: config.batchMode,
    warmStart: previousState,
  };
  const warm = it === 0 && part === 0 ? warmStartBatch(config, size) : undefined;
  if (warm) {
    batch = warm;
  } else if (it === initialBatch(config) && part === 0) {
    batch = { points: proposer.initial(size, d, config.seed) };
  } else if (proposer.usesHistory === false) {
    // no data needed: the whole batch at once, pipelined or not
    const n = part === 0 ? size : q;
    batch = { points: proposer.next({ points: [], values: [], scoreVectors: [] }, n, step).points };
  } else {
    ctx.onProgress?.({
      phase: "propose",
      evaluations: records.length,
      budget: config.budget,
      bestScore: best(records),
    });
    const distinct = config.batchMode === "distinct";
    const next = proposer.next(
      {
        points: records.map((r) => r.z!),
        values: observedValues(config, records),
        scoreVectors: records.map((r) => r.scores),
        ...(pending.length > 0 ? { pending: pending.map((z) => [...z]) } : {}),
      },
      distinct ? DISTINCT_OVERPROPOSAL * q : q,
      step,
    );
    batch = distinct
      ? { points: [], candidates: next.points, proposerState: next.state }
      : { points: next.points, proposerState: next.state };
    if (part === 0 && q < size) batch.count = q;
  }
  ctx.timing.boMs += performance.now() - t0;
  checkpoints.put(it, batch, part);
  return batch;
}

function requireProposer(ctx: MethodContext): PointProposer {
  if (!ctx.pointProposer) throw new Error(`method ${ctx.config.method} needs a point proposer`);
  return ctx.pointProposer;
}

function best(records: readonly EvaluationRecord[]): number | null {
  const b = bestIndex(records);
  return b < 0 ? null : records[b].score;
}
