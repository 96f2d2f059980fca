/**
 * The layout of a run: what its configuration and its task decide before anything is spent (the
 * splits, the demos shown to the generator, the black box's demo pool and demonstrations, the selection
 * split, the baselines). The one function both the run (executeRun) and its dry run (planRun,
 * `optimize --dry-run`) derive them with, so the plan always matches the run.
 */
import type { RunConfig } from "../config/schema.js";
import { sampleDemos, splitTask } from "../tasks/splits.js";
import type { Demo, Example, Task, TaskSplits } from "../tasks/types.js";
import { Rng, seedFor } from "../util/rng.js";
import { getMethod } from "./methods/index.js";
import { baselineList } from "./phases/baselines.js";
import { selectionSplit } from "./phases/selection.js";

/** The demo pool holds this many demonstrations per demonstration of a prompt (at least {@link MIN_DEMO_POOL}). */
export const DEMO_POOL_FACTOR = 4;
/** The smallest demo pool drawn when the task has the examples. */
export const MIN_DEMO_POOL = 16;

/** What a run's configuration and task decide before the run starts. */
export interface RunLayout {
  splits: TaskSplits;
  /** Demos shown to the instruction generator. */
  demos: Demo[];
  /**
   * Few-shot prompts (`targetDemos` K > 0): the demo pool, drawn from the prompt-generation examples
   * (never validation, selection or test), and the K demonstrations put in every black-box query when
   * the demonstration set is not searched (the pool's first K). Both empty when K is 0.
   */
  target: { pool: Demo[]; demos: Demo[] };
  /** The selection split (`selection: "fresh"`; empty otherwise) and why it is empty when it is. */
  selection: { examples: Example[]; note?: string };
  /** The baselines scored after the search, in order. */
  baselines: ReturnType<typeof baselineList>;
  /** What the user should know about the data (from the split). */
  notes: string[];
}

/** Lay out a run of `config` on `task` (deterministic in the configuration's seed). */
export function layoutRun(config: RunConfig, task: Task): RunLayout {
  const splits = splitTask(task, { seed: config.seed, validationSize: config.validationSize });
  const demos = sampleDemos(splits.promptGen, config.demos, config.seed);
  const target = demoPool(splits.promptGen, config.targetDemos ?? 0, config.seed);
  const notes = [...(splits.notes ?? [])];
  if (target.demos.length < (config.targetDemos ?? 0)) {
    notes.push(
      `targetDemos: ${target.demos.length} demonstrations per prompt (${config.targetDemos} requested; the task has ${splits.promptGen.length} prompt-generation examples)`,
    );
  }
  const generatorInputs = getMethod(config.method).usesGenerator ? demos.map((d) => d.input) : null;
  const selection =
    config.selection === "fresh"
      ? selectionSplit(task, splits, {
          seed: config.seed,
          size: config.selectionSize,
          // the demo pool is never fresh: its examples are in the black box's prompts
          demoInputs:
            generatorInputs && target.pool.length
              ? [...generatorInputs, ...target.pool.map((d) => d.input)]
              : generatorInputs,
        })
      : { examples: [] };
  return {
    splits,
    demos,
    target,
    selection,
    baselines: baselineList(task, config.baselines),
    notes,
  };
}

/**
 * The demo pool of few-shot prompts with `k` demonstrations per prompt: max(DEMO_POOL_FACTOR * k,
 * MIN_DEMO_POOL) prompt-generation examples (all of them when there are fewer), shuffled with the run's
 * seed; the fixed demonstrations are its first `k`. Prompt-generation examples are disjoint from
 * validation and test by construction (splitTask), and the selection split excludes the pool.
 */
export function demoPool(
  promptGen: readonly Example[],
  k: number,
  seed: number,
): { pool: Demo[]; demos: Demo[] } {
  if (k <= 0) return { pool: [], demos: [] };
  const size = Math.max(DEMO_POOL_FACTOR * k, MIN_DEMO_POOL);
  const pool = new Rng(seedFor(seed, "target-demos"))
    .shuffled(promptGen)
    .slice(0, size)
    .map((ex) => ({ input: ex.input, output: ex.answers[0] }));
  return { pool, demos: pool.slice(0, Math.min(k, pool.length)) };
}
