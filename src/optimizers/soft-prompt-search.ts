import { DEFAULTS } from "../blackbox/options.js";
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
  /**
   * `distinct` batches: the over-proposed candidates, in the proposer's order. The batch's points are the first
   * q candidates whose instruction is new (then, if fewer are new, the rest in order); `points` and
   * `instructions` are filled in once they are all known.
   */
  candidates?: number[][];
  /** Instructions of the candidates generated so far (checkpointed after every chunk). */
  candidateTexts?: string[];
}

/** A candidate ready to score: its soft prompt and instruction; null when the run was interrupted. */
type Pick = { z: number[]; text: string; generationMs: number } | null;

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
 * stays in use; records are stored in index order. Scores do not depend on the order of queries. A soft
 * prompt's instruction may depend on the other rows of its chunk (q8 generators quantise activations
 * per tensor, over the whole chunk), so chunk boundaries depend only on positions in the batch, also
 * when a run is resumed.
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
  const pipelined = config.pipelined === true;
  // first index of each batch, and the records each batch's proposal is fitted on (pipelined: all but
  // the previous batch's last generation chunk)
  const starts = sizes.map((_, it) => sizes.slice(0, it).reduce((a, b) => a + b, 0));
  const dataEnd = (it: number) => (pipelined && it > 0 ? starts[it] - tailOf(sizes[it - 1]) : starts[it]);
  let previousState: unknown;
  let early: Promise<PreparedBatch | null> | null = null;
  for (let it = 0; it < sizes.length; it++) {
    const start = starts[it];
    const size = sizes[it];
    const done = records.length - start;
    if (done >= size) {
      previousState = ledger.getState<StoredBatch>(runId, `batch:${it}`)?.proposerState;
      continue;
    }
    const beforeThis = () => records.slice(0, start).map((r) => r.instruction);
    const current: PreparedBatch =
      (early ? await early : null) ??
      (await prepareBatch(ctx, it, size, done, records.slice(0, dataEnd(it)), previousState, beforeThis));
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
    if (pipelined && it + 1 < sizes.length) {
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
        return prepareBatch(ctx, it + 1, sizes[it + 1], 0, records.slice(0, cutoff), state, () => before);
      })();
      next.catch(() => {}); // awaited by the next iteration (or on interruption below)
      early = next;
    }
    const finished = await scoring;
    if (!finished) {
      await early?.catch(() => null);
      return;
    }
  }
}

/** Size of the last generation chunk of a batch of n (the part a pipelined proposal does not wait for). */
function tailOf(n: number): number {
  const c = chunkSizes(n);
  return c[c.length - 1] ?? 0;
}

/** A batch's stored checkpoint and one promise per candidate to score (from `from` on). */
interface PreparedBatch {
  batch: StoredBatch;
  picks: Promise<Pick>[];
}

/**
 * Load or propose batch `it` (fitted on `data`) and start generating its instructions from index
 * `from`. `before` lists the instructions of every record before the batch (distinct batches keep new ones).
 */
async function prepareBatch(
  ctx: MethodContext,
  it: number,
  size: number,
  from: number,
  data: readonly EvaluationRecord[],
  previousState: unknown,
  before: () => readonly string[],
): Promise<PreparedBatch> {
  const batch = await loadOrProposeBatch(ctx, it, size, data, previousState);
  const picks =
    batch.candidates && !batch.instructions
      ? streamNovel(ctx, it, batch, size, before())
      : generateAhead(ctx, it, batch, from);
  return { batch, picks };
}

/**
 * The stored points of batch `it`, or new ones (Sobol, uniform or BO), stored before use. In `distinct`
 * mode BO over-proposes and the candidates are stored instead (see {@link streamNovel}).
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
    batch = distinct
      ? { points: [], candidates: next.points, proposerState: next.state }
      : { points: next.points, proposerState: next.state };
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
function generateAhead(ctx: MethodContext, it: number, batch: StoredBatch, from: number): Promise<Pick>[] {
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
  for (const chunk of chunkSizes(n)) {
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
          ctx.ledger.setState(ctx.runId, `batch:${it}`, {
            ...batch,
            instructions: texts,
            generationMs: total,
          });
      })
      .catch(() => {});
  return out;
}

/** Generate the instructions of `zs` (timed); null when the run was interrupted. */
async function generateChunk(
  ctx: MethodContext,
  zs: number[][],
): Promise<{ rows: string[]; ms: number } | null> {
  if (ctx.signal?.aborted) return null;
  const t0 = performance.now();
  const rows = (await ctx.generator!.generate(zs, ctx.demos)).map((g) => g.text);
  const ms = performance.now() - t0;
  ctx.timing.generationMs += ms;
  return { rows, ms };
}

/**
 * The q points of a `distinct` batch, found while generating: the candidates' instructions are
 * generated in chunks in the proposer's order (the first maximises EI), and each candidate whose instruction is new (not scored before
 * this batch, not picked earlier in it) becomes the batch's next point at once, so scoring starts
 * before the whole candidate list is generated; generation stops when q are found. If fewer than q
 * are new, the remaining candidates fill the batch in order (their scores are reused). Generated
 * instructions are checkpointed after every chunk, the final points and instructions once known.
 * Deterministic: a resumed batch makes the same picks.
 */
function streamNovel(
  ctx: MethodContext,
  it: number,
  batch: StoredBatch,
  q: number,
  before: readonly string[],
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
  const key = `batch:${it}`;
  let total = 0;
  const work = async () => {
    for (let i = 0; i < texts.length; i++) consider(i, 0);
    const sizes = chunkSizes(Math.min(q, candidates.length));
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
      ctx.ledger.setState(ctx.runId, key, { ...batch, candidateTexts: texts });
      for (let i = a; i < texts.length; i++) consider(i, i === a ? r.ms : 0);
    }
    const picked = new Set(chosen);
    for (let i = 0; i < candidates.length && chosen.length < q; i++) if (!picked.has(i)) choose(i, 0);
    for (let j = chosen.length; j < q; j++)
      rejecters[j](new Error(`distinct batch: only ${chosen.length} candidates`));
    ctx.ledger.setState(ctx.runId, key, {
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
  size: number,
  from: number,
  picks: Promise<Pick>[],
  records: EvaluationRecord[],
  onAppend?: () => void,
): Promise<boolean> {
  const { config } = ctx;
  const busy = new BusyClock(ctx.timing);
  const firstOf = new Map<string, Promise<EvaluationRecord>>();
  const tasks: Promise<EvaluationRecord | null>[] = [];
  const launch = (j: number) => {
    tasks[j] = picks[j].then(async (pick) => {
      if (!pick || ctx.signal?.aborted) return null;
      const candidate = {
        index: start + j,
        iteration: it,
        z: pick.z,
        instruction: pick.text,
        generationMs: pick.generationMs,
      };
      const seen = records.find((r) => r.instruction === pick.text && !r.reused);
      if (seen) return evaluateCandidate(ctx, candidate, seen);
      const first = firstOf.get(pick.text);
      if (first) return evaluateCandidate(ctx, candidate, await first);
      const own = busy.time(() => evaluateCandidate(ctx, candidate, null));
      firstOf.set(pick.text, own);
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
    if (!record) return false;
    ctx.ledger.appendEvaluation(ctx.runId, record);
    records.push(record);
    onAppend?.();
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
