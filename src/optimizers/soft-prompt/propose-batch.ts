import type { EvaluationRecord } from "../../store/types.js";
import { seedFor } from "../../util/rng.js";
import { bestIndex } from "../score-candidate.js";
import type { MethodContext, PointProposer } from "../types.js";
import type { BatchCheckpoints, StoredBatch } from "./checkpoint.js";
import { searchDim } from "./demo-set.js";
import { DISTINCT_OVERPROPOSAL } from "./distinct.js";
import { initialBatch, observedValues, warmStartBatch } from "./warm-start.js";

/**
 * The stored points of batch `it`, or new ones from the method's point proposer (initial design, then
 * BO or random draws, fitted on `records` and avoiding the `pending` soft prompts), stored before use.
 * In `distinct` mode BO over-proposes and the candidates are stored instead (see `streamNovel` in
 * distinct.ts).
 */
export async function loadOrProposeBatch(
  ctx: MethodContext,
  checkpoints: BatchCheckpoints,
  it: number,
  size: number,
  records: readonly EvaluationRecord[],
  pending: readonly number[][],
  previousState: unknown,
): Promise<StoredBatch> {
  const { config } = ctx;
  const stored = checkpoints.get(it);
  if (stored) return stored;

  const d = searchDim(ctx);
  const t0 = performance.now();
  let batch: StoredBatch;
  const proposer = requireProposer(ctx);
  const step = {
    seed: seedFor(config.seed, `bo:${it}`),
    runSeed: config.seed,
    iteration: it,
    dim: d,
    batchMode: config.batchMode,
    warmStart: previousState,
  };
  const warm = it === 0 ? warmStartBatch(config, size) : undefined;
  if (warm) {
    batch = warm;
  } else if (it === initialBatch(config)) {
    batch = { points: proposer.initial(size, d, config.seed) };
  } else if (proposer.usesHistory === false) {
    batch = { points: proposer.next({ points: [], values: [], scoreVectors: [] }, size, step).points };
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
      distinct ? DISTINCT_OVERPROPOSAL * size : size,
      step,
    );
    ctx.timing.boMs += performance.now() - t0;
    batch = distinct
      ? { points: [], candidates: next.points, proposerState: next.state }
      : { points: next.points, proposerState: next.state };
    checkpoints.put(it, batch);
    return batch;
  }
  ctx.timing.boMs += performance.now() - t0;
  checkpoints.put(it, batch);
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
