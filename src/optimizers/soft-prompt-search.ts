import { DEFAULTS } from "../blackbox/options.js";
import { selectNovel } from "../bo/novelty.js";
import type { EvaluationRecord } from "../store/types.js";
import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import { batchSizes } from "./batches.js";
import { bestIndex, evaluateCandidate } from "./score-candidate.js";
import type { MethodContext, PhaseTiming, PointProposer } from "./types.js";

/** A batch as checkpointed in the ledger: its points before anything else, its instructions once generated. */
interface StoredBatch {
  points: number[][];
  /** Proposer state after this batch was proposed (warm start of the next step). */
  proposerState?: unknown;
  /** Set once the whole batch has been generated. */
  instructions?: string[];
  generationMs?: number;
}

/**
 * Sizes of the chunks a batch of n soft prompts is generated in, as fractions of n: the next chunk is
 * generated while the black box scores the ones before. Batched decoding costs per instruction about
 * 4 s at batch 1, 1.3 s at 4 and 0.8 s from 10 on (smol135 shapes, 2 cores), about what scoring one
 * instruction costs (20 queries, 300 ms, 8 at a time): small chunks start scoring earlier but slow the
 * generator down. Simulated over every split of 25 into at most 5 chunks with those figures,
 * 10 + 9 + 6 gives the shortest batch (26.8 s; 5 x 5: 32.8 s; one chunk: 39.2 s).
 */
const CHUNK_SHAPE = [10, 9, 6];

/** Chunk sizes for n soft prompts (see {@link CHUNK_SHAPE}); they sum to n. */
export function chunkSizes(n: number): number[] {
  if (n <= 0) return [];
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

/**
 * `distinct` batches: candidates proposed per evaluated point. The instructions of all candidates are
 * generated, and the first q (best EI first) whose instruction is new are evaluated.
 */
export const DISTINCT_OVERPROPOSAL = 3;

/**
 * InstructZero (and its "uniform" baseline): soft prompts -> generator -> instructions -> black-box
 * validation scores -> Gaussian process with the instruction-coupled kernel -> next batch.
 * `uniform` draws every batch uniformly at random in [-1, 1]^d instead of proposing it.
 *
 * Within a batch, generation runs in chunks ahead of evaluation, so the generator (CPU) works while the
 * black box (network) answers, and several candidates are scored at once so the black box's concurrency
 * stays in use; records are stored in index order. Generation is deterministic per soft prompt and scores
 * do not depend on the order of queries, so neither changes the result.
 *
 * Resumable at any point: each batch's points are stored in the ledger before anything is generated or
 * evaluated, evaluations are appended one by one, and black-box answers are in the response cache, so
 * a resumed run continues exactly where the interrupted one stopped.
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
    const done = records.length - start;
    if (done >= size) {
      previousState = ledger.getState<StoredBatch>(runId, `batch:${it}`)?.proposerState;
      start += size;
      continue;
    }
    const batch = await loadOrProposeBatch(ctx, it, size, records, previousState);
    previousState = batch.proposerState;
    const instructions = generateAhead(ctx, it, batch, done);
    const finished = await scoreBatch(ctx, it, start, batch, done, instructions, records);
    if (!finished) return;
    start += size;
  }
}

/**
 * The stored points of batch `it`, or new ones (Sobol, uniform or BO), stored before use. In `distinct`
 * mode BO over-proposes, every candidate's instruction is generated, and only candidates with a new
 * instruction are kept (instruction-level de-duplication: soft prompts far apart can still produce the
 * same instruction, which a distance between soft prompts cannot see).
 */
async function loadOrProposeBatch(
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
  let batch: StoredBatch;
  if (it === 0 && config.method === "instructzero") {
    batch = { points: requireProposer(ctx).initial(size, d, config.seed) };
  } else if (config.method === "uniform" || it === 0) {
    const rng = new Rng(seedFor(config.seed, `uniform:${it}`));
    batch = {
      points: Array.from({ length: size }, () => Array.from({ length: d }, () => 2 * rng.uniform() - 1)),
    };
  } else {
    ctx.onProgress?.({
      phase: "propose",
      evaluations: records.length,
      budget: config.budget,
      bestScore: best(records),
    });
    const distinct = config.batchMode === "distinct";
    const next = requireProposer(ctx).next(
      {
        points: records.map((r) => r.z!),
        values: records.map((r) => r.score),
        scoreVectors: records.map((r) => r.scores),
      },
      distinct ? DISTINCT_OVERPROPOSAL * size : size,
      { seed: seedFor(config.seed, `bo:${it}`), batchMode: config.batchMode, warmStart: previousState },
    );
    ctx.timing.boMs += performance.now() - t0;
    if (!distinct) {
      batch = { points: next.points, proposerState: next.state };
    } else {
      const g0 = performance.now();
      const texts = (await ctx.generator!.generate(next.points, ctx.demos)).map((g) => g.text);
      const generationMs = performance.now() - g0;
      ctx.timing.generationMs += generationMs;
      const pick = selectNovel(
        texts,
        size,
        records.map((r) => r.instruction),
      ).indices;
      batch = {
        points: pick.map((i) => next.points[i]),
        instructions: pick.map((i) => texts[i]),
        generationMs,
        proposerState: next.state,
      };
    }
    ledger.setState(runId, key, batch);
    return batch;
  }
  ctx.timing.boMs += performance.now() - t0;
  ledger.setState(runId, key, batch);
  return batch;
}

/**
 * One promise per soft prompt of the batch (from index `from` on), generated in chunks one after the
 * other in the background. When the whole batch is generated its instructions are stored, so a resumed
 * run does not generate them again.
 */
function generateAhead(
  ctx: MethodContext,
  it: number,
  batch: StoredBatch,
  from: number,
): Promise<{ text: string; generationMs: number }>[] {
  const n = batch.points.length;
  const out: Promise<{ text: string; generationMs: number }>[] = new Array(n);
  if (batch.instructions) {
    const texts = batch.instructions;
    for (let j = 0; j < n; j++) {
      out[j] = Promise.resolve({ text: texts[j], generationMs: j === 0 ? (batch.generationMs ?? 0) : 0 });
    }
    return out;
  }
  const texts: string[] = new Array(n).fill("");
  let chain: Promise<unknown> = Promise.resolve();
  let total = 0;
  let next = from;
  for (const chunk of chunkSizes(n - from)) {
    const a = next;
    next += chunk;
    const zs = batch.points.slice(a, a + chunk);
    const p = chain.then(async () => {
      if (ctx.signal?.aborted) return { rows: zs.map(() => ""), ms: 0 };
      const t0 = performance.now();
      const rows = (await ctx.generator!.generate(zs, ctx.demos)).map((g) => g.text);
      const ms = performance.now() - t0;
      ctx.timing.generationMs += ms;
      total += ms;
      return { rows, ms };
    });
    chain = p;
    for (let j = a; j < Math.min(n, a + chunk); j++) {
      out[j] = p.then(({ rows, ms }) => {
        texts[j] = rows[j - a];
        return { text: rows[j - a], generationMs: j === a ? ms : 0 };
      });
      out[j].catch(() => {}); // awaited in order by the caller; avoid an unhandled rejection meanwhile
    }
  }
  if (from === 0) {
    void chain
      .then(() => {
        if (!ctx.signal?.aborted)
          ctx.ledger.setState(ctx.runId, `batch:${it}`, {
            ...batch,
            instructions: texts,
            generationMs: total,
          });
      })
      .catch(() => {});
  }
  return out;
}

/**
 * Score the candidates of batch `it` from index `from` on, several at once (so the black box's
 * concurrency stays in use between candidates), appending their records in index order. A
 * candidate whose instruction was already scored, or is being scored, reuses those scores.
 * Returns false when interrupted (after the candidates already under way are stored).
 */
async function scoreBatch(
  ctx: MethodContext,
  it: number,
  start: number,
  batch: StoredBatch,
  from: number,
  instructions: Promise<{ text: string; generationMs: number }>[],
  records: EvaluationRecord[],
): Promise<boolean> {
  const { config } = ctx;
  const size = batch.points.length;
  const busy = new BusyClock(ctx.timing);
  const firstOf = new Map<string, Promise<EvaluationRecord>>();
  const tasks: Promise<EvaluationRecord>[] = [];
  const launch = (j: number) => {
    tasks[j] = instructions[j].then(async ({ text, generationMs }) => {
      const candidate = {
        index: start + j,
        iteration: it,
        z: batch.points[j],
        instruction: text,
        generationMs,
      };
      const seen = records.find((r) => r.instruction === text && !r.reused);
      if (seen) return evaluateCandidate(ctx, candidate, seen);
      const first = firstOf.get(text);
      if (first) return evaluateCandidate(ctx, candidate, await first);
      const own = busy.time(() => evaluateCandidate(ctx, candidate, null));
      firstOf.set(text, own);
      return own;
    });
    tasks[j].catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
  };
  const window = scoringWindow(ctx);
  let launched = from;
  for (let j = from; j < size; j++) {
    while (launched < size && launched < j + window && !ctx.signal?.aborted) launch(launched++);
    if (j >= launched) return false;
    const record = await tasks[j];
    ctx.ledger.appendEvaluation(ctx.runId, record);
    records.push(record);
    const b = bestIndex(records);
    ctx.onProgress?.({
      phase: "evaluate",
      evaluations: records.length,
      budget: config.budget,
      bestScore: records[b].score,
    });
  }
  return !ctx.signal?.aborted;
}

/**
 * Candidates scored at once: enough validation queries to fill the black box's concurrency twice
 * over, at least 2.
 */
function scoringWindow(ctx: MethodContext): number {
  const concurrency = Number(ctx.config.concurrency ?? DEFAULTS.concurrency);
  return Math.max(2, Math.ceil((2 * concurrency) / Math.max(1, ctx.splits.validation.length)));
}

/** Adds to `timing.evaluationMs` the time during which at least one evaluation is under way. */
class BusyClock {
  private active = 0;
  private since = 0;

  constructor(private readonly timing: PhaseTiming) {}

  async time<T>(f: () => Promise<T>): Promise<T> {
    if (this.active++ === 0) this.since = performance.now();
    try {
      return await f();
    } finally {
      if (--this.active === 0) this.timing.evaluationMs += performance.now() - this.since;
    }
  }
}

function requireProposer(ctx: MethodContext): PointProposer {
  if (!ctx.pointProposer) throw new Error("instructzero needs a point proposer");
  return ctx.pointProposer;
}

function best(records: readonly EvaluationRecord[]): number | null {
  const b = bestIndex(records);
  return b < 0 ? null : records[b].score;
}
