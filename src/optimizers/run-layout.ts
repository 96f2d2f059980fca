/**
 * The layout of a run: what its configuration and its task decide before anything is spent (the
 * splits, the demos shown to the generator, the black box's demo pool and demonstrations, the selection
 * split, the baselines). The one function both the run (executeRun) and its dry run (planRun,
 * `optimize --dry-run`) derive them with, so the plan always matches the run.
 */
import type { RunConfig } from "../config/schema.js";
import type { Ledger } from "../store/ledger.js";
import { referenceSplit, sampleDemos, splitTask } from "../tasks/splits.js";
import type { Demo, Example, Task, TaskSplits } from "../tasks/types.js";
import { UserError } from "../util/errors.js";
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
  const target = demoPool(splits.promptGen, config.targetDemos ?? 0, config.seed);
  const notes = [...(splits.notes ?? [])];
  if (target.demos.length < (config.targetDemos ?? 0)) {
    notes.push(
      `targetDemos: ${target.demos.length} demonstrations per prompt (${config.targetDemos} requested; the task has ${splits.promptGen.length} prompt-generation examples)`,
    );
  }
  const generatorInputs = getMethod(config.method).usesGenerator ? demos.map((d) => d.input) : null;
  // the demo pool is never fresh: its examples are in the black box's prompts
  const excluded = [...(generatorInputs ?? []), ...target.pool.map((d) => d.input)];
  const selection =
    config.selection === "fresh"
      ? selectionSplit(task, splits, {
          seed: config.seed,
          size: config.selectionSize,
          demoInputs: excluded.length ? excluded : generatorInputs,
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

/** What a run stores of its layout, by split name (`Ledger.setExamples`). */
export const STORED_SPLITS = {
  validation: "validation",
  test: "test",
  promptGen: "prompt-gen",
  demos: "demos",
  selection: "selection",
} as const;

/**
 * The layout of run `runId` as stored with it: on its first session the layout of today's rules is
 * stored (validation, test, prompt-generation set, demos); every later session (resume) uses the
 * stored examples, never a re-derived split, so a run started under other split rules (an older
 * version, other hygiene) continues on its own validation set, demos and selection split. A run stored
 * without demos (older versions stored validation and test only) whose split differs from today's is
 * refused while its search still needs the generator's demos (UserError naming the difference); after
 * its search it goes on with its stored validation and test examples.
 */
export function layoutStoredRun(
  config: RunConfig,
  task: Task,
  ledger: Pick<Ledger, "getExamples" | "setExamples">,
  runId: string,
  searchDone: boolean,
): RunLayout {
  const layout = layoutRun(config, task);
  const validation = ledger.getExamples(runId, STORED_SPLITS.validation);
  const store = (l: RunLayout) => {
    ledger.setExamples(runId, STORED_SPLITS.validation, l.splits.validation);
    ledger.setExamples(runId, STORED_SPLITS.test, l.splits.test);
    ledger.setExamples(runId, STORED_SPLITS.promptGen, l.splits.promptGen);
    ledger.setExamples(
      runId,
      STORED_SPLITS.demos,
      l.demos.map((d) => ({ input: d.input, answers: [d.output] })),
    );
  };
  if (!validation) {
    store(layout);
    return layout;
  }
  const test = ledger.getExamples(runId, STORED_SPLITS.test) ?? layout.splits.test;
  const promptGen = ledger.getExamples(runId, STORED_SPLITS.promptGen);
  const demos = ledger.getExamples(runId, STORED_SPLITS.demos);
  const selection = ledger.getExamples(runId, STORED_SPLITS.selection);
  const differences = [
    differenceOf("validation", validation, layout.splits.validation),
    differenceOf("test", test, layout.splits.test),
  ].filter((d): d is string => d !== null);
  if ((!promptGen || !demos) && differences.length > 0 && !searchDone) {
    throw new UserError(
      `run ${runId} was split under other rules than today's (${differences.join("; ")}) and stored no demos: ` +
        "its search cannot continue with the demos it started with. Start a new run (or resume it with the version that started it)",
    );
  }
  const out: RunLayout = {
    ...layout,
    splits: {
      ...layout.splits,
      validation,
      test,
      promptGen: promptGen ?? layout.splits.promptGen,
    },
    demos: demos ? demos.map((d) => ({ input: d.input, output: d.answers[0] })) : layout.demos,
    // the black box's demo pool comes from the stored prompt-generation examples too
    target: promptGen ? demoPool(promptGen, config.targetDemos ?? 0, config.seed) : layout.target,
    selection: selection ? { examples: selection } : layout.selection,
  };
  if (!promptGen || !demos) store(out);
  if (differences.length > 0) {
    out.notes = [
      ...layout.notes,
      `resumed on the examples stored with the run (${validation.length} validation, ${test.length} test): today's split rules give other ones (${differences.join("; ")})`,
    ];
  }
  return out;
}

/** "validation: 7 of 20 inputs differ" (or the sizes), or null when `stored` equals `derived`. */
function differenceOf(what: string, stored: readonly Example[], derived: readonly Example[]): string | null {
  const key = (e: Example) => JSON.stringify([e.input, e.answers]);
  const a = stored.map(key);
  const b = derived.map(key);
  if (a.length === b.length && a.every((x, i) => x === b[i])) return null;
  const inDerived = new Set(b);
  const differ = a.filter((x) => !inDerived.has(x)).length;
  if (a.length !== b.length) return `${what}: ${a.length} stored examples, ${b.length} by today's rules`;
  return differ === 0
    ? `${what}: the same examples in another order`
    : `${what}: ${differ} of ${a.length} examples differ`;
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
