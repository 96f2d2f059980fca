/**
 * A MIPROv2-style baseline (Opsahl-Ong et al. 2024, DSPy): a pool of proposed instructions times a pool
 * of demonstration sets, searched over the pairs. Here:
 * - the instruction pool: N instructions written by the generator (the InstructZero induction prompt
 *   over the run's generator demos) from N scrambled-Sobol soft prompts, checkpointed once written;
 * - the demonstration-set pool: N sets of K demonstrations (`targetDemos`) drawn at random (seeded)
 *   from the run's demo pool (one empty set when K is 0);
 * - N = ceil(sqrt(2 budget)), so there are at least twice as many pairs as evaluations;
 * - the search: random search over the pairs (a seeded permutation, no pair twice). MIPROv2 uses a
 *   tree-structured Parzen estimator over the two categorical choices; no well-kept TypeScript TPE
 *   package exists on npm (`hyperopt` there is a native dlib binding with no TPE; `optuna`, `tpe-js`
 *   do not exist), so this baseline is the random-search variant over the same pools (as in the
 *   MIPROv2 paper's ablations, random search over the pools is its weaker sibling).
 * Every pair is scored like any candidate (racing, reuse of an identical prompt, the ledger), so the
 * run resumes exactly: the pools depend only on the seed and the checkpointed instructions.
 */
import { sobolPoints } from "../../bo/index.js";
import { CHECKPOINT_KEYS } from "../../store/checkpoints.js";
import type { EvaluationRecord } from "../../store/types.js";
import type { Demo } from "../../tasks/types.js";
import { UserError } from "../../util/errors.js";
import { Rng, seedFor } from "../../util/rng.js";
import type { Candidate } from "../candidate.js";
import { cleanInstruction } from "../clean-instruction.js";
import { randomDemos } from "../demo-baselines.js";
import { evaluateEvent } from "../progress.js";
import { isPerfect } from "../racing.js";
import { scoreCandidate } from "../score-candidate.js";
import type { MethodContext } from "../types.js";
import type { SearchMethod } from "./method.js";

/** Size of each pool for an evaluation budget: ceil(sqrt(2 budget)), at least 2. */
export function poolSize(budget: number): number {
  return Math.max(2, Math.ceil(Math.sqrt(2 * budget)));
}

/** The demonstration-set pool: `n` seeded random K-subsets of the demo pool (one empty set when K is 0). */
export function demoSetPool(pool: readonly Demo[], k: number, n: number, seed: number): Demo[][] {
  if (k === 0 || pool.length === 0) return [[]];
  return Array.from({ length: n }, (_, j) => randomDemos(pool, k, seedFor(seed, `mipro:demos:${j}`)));
}

/** The order in which the (instruction, demonstration set) pairs are tried: a seeded permutation. */
export function pairOrder(nInstructions: number, nSets: number, seed: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < nInstructions; i++) for (let j = 0; j < nSets; j++) pairs.push([i, j]);
  return new Rng(seedFor(seed, "mipro:pairs")).shuffled(pairs);
}

/** The instruction pool: generated once from Sobol soft prompts, then read back from the checkpoint. */
async function instructionPool(
  ctx: MethodContext,
  n: number,
): Promise<{ z: number[]; text: string }[] | null> {
  const key = CHECKPOINT_KEYS.miproInstructions;
  const stored = ctx.ledger.getState<{ z: number[]; text: string }[]>(ctx.runId, key);
  if (stored) return stored;
  if (!ctx.generator) throw new UserError(`method ${ctx.config.method} needs a generator (--generator)`);
  const zs = sobolPoints(n, ctx.config.intrinsicDim, ctx.config.seed, [-1, 1]);
  ctx.onProgress?.({ phase: "generate", evaluations: 0, budget: ctx.config.budget, bestScore: null });
  const t0 = performance.now();
  const out = await ctx.generator.generate(zs, ctx.demos);
  ctx.timing.generationMs += performance.now() - t0;
  if (ctx.signal?.aborted) return null;
  const raw = ctx.config.rawInstructions === true;
  const pool = out.map((g, i) => ({ z: zs[i], text: raw ? g.text : cleanInstruction(g.text) }));
  ctx.ledger.setState(ctx.runId, key, pool);
  return pool;
}

/** Random search over the pairs of the two pools, to the budget. */
async function runMipro(ctx: MethodContext): Promise<void> {
  const { config, ledger, runId } = ctx;
  const n = poolSize(config.budget);
  const instructions = await instructionPool(ctx, n);
  if (!instructions) return;
  const k = ctx.targetDemos?.length ?? 0;
  const sets = demoSetPool(ctx.demoPool ?? [], k, n, config.seed);
  const order = pairOrder(instructions.length, sets.length, config.seed);
  const records: EvaluationRecord[] = ledger.evaluations(runId);
  const total = ctx.splits.validation.length;
  for (let i = records.length; i < Math.min(config.budget, order.length); i++) {
    if (ctx.signal?.aborted) return;
    if (config.stopAtPerfect && records.some((r) => isPerfect(r, total))) return;
    const [a, b] = order[i];
    const candidate: Candidate = {
      index: i,
      iteration: 0,
      z: instructions[a].z,
      instruction: instructions[a].text,
      ...(k > 0 ? { demos: sets[b] } : {}),
      generationMs: 0,
    };
    const record = await scoreCandidate(ctx, candidate, records);
    records.push(record);
    ctx.onProgress?.(evaluateEvent(records, config.budget));
  }
}

/** The MIPROv2-style baseline: proposed instructions x demonstration sets, random search over the pairs. */
export const mipro: SearchMethod = {
  name: "mipro",
  description:
    "MIPROv2-style: generated instructions x random demonstration sets, random search over the pairs (baseline)",
  usesProposer: false,
  usesGenerator: true,
  // a few-shot baseline: asked for by name (`--methods ...,mipro`), so the default grid is unchanged
  sweepByDefault: false,
  proposalCalls: () => 0,
  run: runMipro,
};
