/**
 * The layout of a run: what its configuration and its task decide before anything is spent (the
 * splits, the demos shown to the generator, the selection split, the baselines). The one function both
 * the run (executeRun) and its dry run (planRun, `optimize --dry-run`) derive them with, so the plan
 * always matches the run.
 */
import type { RunConfig } from "../config/schema.js";
import { referenceSplit, sampleDemos, splitTask } from "../tasks/splits.js";
import type { Demo, Example, Task, TaskSplits } from "../tasks/types.js";
import { getMethod } from "./methods/index.js";
import { baselineList } from "./phases/baselines.js";
import { selectionSplit } from "./phases/selection.js";

/** What a run's configuration and task decide before the run starts. */
export interface RunLayout {
  splits: TaskSplits;
  /** Demos shown to the instruction generator. */
  demos: Demo[];
  /** The selection split (`selection: "fresh"`; empty otherwise) and why it is empty when it is. */
  selection: { examples: Example[]; note?: string };
  /** The baselines scored after the search, in order. */
  baselines: ReturnType<typeof baselineList>;
  /** What the user should know about the data (from the split). */
  notes: string[];
}

/**
 * Lay out a run of `config` on `task` (deterministic in the configuration's seed; with `splitRule`
 * "reference" the splits and demos are the reference code's, the same for every seed).
 */
export function layoutRun(config: RunConfig, task: Task): RunLayout {
  const hygiene = config.hygiene !== "off";
  let splits: TaskSplits;
  let demos: Demo[];
  if (config.splitRule === "reference") {
    ({ splits, demos } = referenceSplit(task, {
      validationSize: config.validationSize,
      demos: config.demos,
      hygiene,
    }));
  } else {
    splits = splitTask(task, { seed: config.seed, validationSize: config.validationSize, hygiene });
    demos = sampleDemos(splits.promptGen, config.demos, config.seed);
  }
  const selection =
    config.selection === "fresh"
      ? selectionSplit(task, splits, {
          seed: config.seed,
          size: config.selectionSize,
          demoInputs: getMethod(config.method).usesGenerator ? demos.map((d) => d.input) : null,
        })
      : { examples: [] };
  return {
    splits,
    demos,
    selection,
    baselines: baselineList(task, config.baselines),
    notes: splits.notes ?? [],
  };
}
