/**
 * Warm start and the search objective of the soft-prompt search.
 *
 * - Warm start (`warmStart`, set by `instructzero migrate`): the first batch is the old run's top
 *   soft prompts with their instructions as stored (nothing is generated for them); they are scored
 *   on the new model like any candidate, so their new scores seed the surrogate of every later batch.
 *   With `warmRacing` (the migration's default) the batch is raced whatever `racing` says: each
 *   candidate is scored block by block and stopped once it is clearly worse than the incumbent
 *   (racing.ts; a stopped one's record holds a prefix of the validation scores, which BO takes as a
 *   noisier observation), so old candidates that do badly on the new model cost a fraction of the
 *   validation set. The ordinary initial design follows as the second batch, then the BO batches, to
 *   the budget (the migration sets it to the search's budget plus the warm start: its own budget
 *   line), so when the two models disagree, the search is the cold one plus the warm start's evaluations.
 * - Objective (`objective: "score - L * usd_per_1k"`): the value BO observes for each record; the
 *   record's score stays the metric's. */

import { objectiveValue, parseObjective } from "../../config/objective.js";
import type { RunConfig } from "../../config/schema.js";
import type { EvaluationRecord } from "../../store/types.js";
import { batchSizes } from "../batches.js";
import type { StoredBatch } from "./checkpoint.js";

/** The search's batch sizes: the warm start (if any), then the initial design and the BO batches. */
export function searchSizes(config: RunConfig): number[] {
  const warm = config.warmStart?.length ?? 0;
  if (warm === 0) return batchSizes(config.budget, config.initialPoints, config.batchSize);
  const first = Math.min(warm, config.budget);
  return [first, ...batchSizes(config.budget - first, config.initialPoints, config.batchSize)];
}

/** True when batch `it` is a warm start that is raced (`warmRacing`; see the module comment). */
export function racesWarmStart(config: RunConfig, it: number): boolean {
  return it === 0 && (config.warmStart?.length ?? 0) > 0 && config.warmRacing === true;
}

/** The batch holding the initial design: 1 after a warm start, else 0. */
export function initialBatch(config: RunConfig): number {
  return (config.warmStart?.length ?? 0) > 0 ? 1 : 0;
}

/** The warm-start batch (the first one) of a run with `warmStart`, or undefined. */
export function warmStartBatch(config: RunConfig, size: number): StoredBatch | undefined {
  const warm = config.warmStart;
  if (!warm || warm.length === 0) return undefined;
  const points = warm.slice(0, size);
  for (const p of points)
    if (p.z.length !== config.intrinsicDim)
      throw new RangeError(
        `warmStart: a soft prompt has ${p.z.length} dimensions, the run searches ${config.intrinsicDim} (intrinsicDim)`,
      );
  return { points: points.map((p) => [...p.z]), instructions: points.map((p) => p.instruction) };
}

/** The values BO observes for `records`: their scores, or the run's objective of them. */
export function observedValues(config: RunConfig, records: readonly EvaluationRecord[]): number[] {
  if (!config.objective) return records.map((r) => r.score);
  const objective = parseObjective(config.objective);
  return records.map((r) => objectiveValue(objective, r.score, r.usdPer1k));
}
