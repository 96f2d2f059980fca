import type { EvaluationRecord } from "../store/types.js";
import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import { batchSizes } from "./batches.js";
import { bestIndex, scoreCandidate } from "./score-candidate.js";
import type { MethodContext } from "./types.js";

/** A batch as checkpointed in the ledger before any of it is evaluated. */
interface StoredBatch {
  points: number[][];
  instructions: string[];
  generationMs: number;
  /** Proposer state after this batch was proposed (warm start of the next step). */
  proposerState?: unknown;
}

/**
 * InstructZero (and its "uniform" baseline): soft prompts -> generator -> instructions -> black-box
 * validation scores -> Gaussian process with the instruction-coupled kernel -> next batch.
 * `uniform` draws every batch uniformly at random in [-1, 1]^d instead of proposing it.
 *
 * Resumable at any point: each batch (points and generated instructions) is stored in the ledger before
 * it is evaluated, evaluations are appended one by one, and black-box answers are in the response cache,
 * so a resumed run continues exactly where the interrupted one stopped.
 */
export async function runSoftPromptSearch(ctx: MethodContext): Promise<void> {
  const { config, ledger, runId } = ctx;
  if (!ctx.generator) throw new UserError(`method ${config.method} needs a generator (--generator)`);
  const records: EvaluationRecord[] = ledger.evaluations(runId);
  const sizes = batchSizes(config.budget, config.initialPoints, config.batchSize);
  let start = 0;
  let previousState: unknown;
  for (let it = 0; it < sizes.length; it++) {
    const size = sizes[it];
    const end = start + size;
    const batch = await loadOrMakeBatch(ctx, it, size, records, previousState);
    previousState = batch.proposerState;
    for (let j = records.length - start; j < size; j++) {
      if (ctx.signal?.aborted) return;
      const record = await scoreCandidate(
        ctx,
        {
          index: start + j,
          iteration: it,
          z: batch.points[j],
          instruction: batch.instructions[j],
          generationMs: j === 0 ? batch.generationMs : 0,
        },
        records,
      );
      records.push(record);
      const b = bestIndex(records);
      ctx.onProgress?.({
        phase: "evaluate",
        evaluations: records.length,
        budget: config.budget,
        bestScore: records[b].score,
      });
    }
    start = end;
  }
}

async function loadOrMakeBatch(
  ctx: MethodContext,
  it: number,
  size: number,
  records: readonly EvaluationRecord[],
  previousState: unknown,
): Promise<StoredBatch> {
  const { config, ledger, runId } = ctx;
  const key = `batch:${it}`;
  const stored = ledger.getState<StoredBatch>(runId, key);
  if (stored) return stored;

  const d = config.intrinsicDim;
  const t0 = performance.now();
  let points: number[][];
  let proposerState: unknown;
  if (it === 0 && config.method === "instructzero") {
    points = requireProposer(ctx).initial(size, d, config.seed);
  } else if (config.method === "uniform" || it === 0) {
    const rng = new Rng(seedFor(config.seed, `uniform:${it}`));
    points = Array.from({ length: size }, () => Array.from({ length: d }, () => 2 * rng.uniform() - 1));
  } else {
    ctx.onProgress?.({
      phase: "propose",
      evaluations: records.length,
      budget: config.budget,
      bestScore: best(records),
    });
    const next = requireProposer(ctx).next(
      {
        points: records.map((r) => r.z!),
        values: records.map((r) => r.score),
        scoreVectors: records.map((r) => r.scores),
      },
      size,
      { seed: seedFor(config.seed, `bo:${it}`), batchMode: config.batchMode, warmStart: previousState },
    );
    points = next.points;
    proposerState = next.state;
  }
  ctx.timing.boMs += performance.now() - t0;

  ctx.onProgress?.({
    phase: "generate",
    evaluations: records.length,
    budget: config.budget,
    bestScore: best(records),
  });
  const g0 = performance.now();
  const generated = await ctx.generator!.generate(points, ctx.demos);
  const generationMs = performance.now() - g0;
  ctx.timing.generationMs += generationMs;
  const batch: StoredBatch = {
    points,
    instructions: generated.map((g) => g.text),
    generationMs,
    proposerState,
  };
  ledger.setState(runId, key, batch);
  return batch;
}

function requireProposer(ctx: MethodContext) {
  if (!ctx.pointProposer) throw new Error("instructzero needs a point proposer");
  return ctx.pointProposer;
}

function best(records: readonly EvaluationRecord[]): number | null {
  const b = bestIndex(records);
  return b < 0 ? null : records[b].score;
}
