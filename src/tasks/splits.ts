import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import { type CleanExamples, cleaningNotes, cleanTaskExamples } from "./hygiene.js";
import { PythonRandom } from "./python-random.js";
import type { Demo, Example, Task, TaskSplits } from "./types.js";

/**
 * How a task is split: "seeded" (the default: shuffled with the run's seed, see {@link splitTask}) or
 * "reference" (the reference implementation's rule, independent of the seed: {@link referenceSplit}).
 */
export type SplitRule = "seeded" | "reference";

/** Split sizes and rules (sizes default to the reference's: 20 validation, 100 test, 100 demos at most). */
export interface SplitOptions {
  /** Seed of the split (default 0; not used by the "reference" rule). */
  seed?: number;
  /** Merge duplicate inputs and keep test inputs out of demos and validation (default true). */
  hygiene?: boolean;
  /** Validation examples scored per candidate instruction (default 20). */
  validationSize?: number;
  /** Maximum number of test examples (default 100). */
  testSize?: number;
  /** Maximum size of the prompt-generation set (default 100). */
  promptGenMax?: number;
}

/**
 * The default split (rule "seeded"): the reference's sizes, shuffled with the run's seed, deterministic
 * (the reference's own rule, which ignores the seed, is {@link referenceSplit}):
 * - induce examples are shuffled; the prompt-generation set is the first min(floor(n/2), 100) (the
 *   reference code's `min(int(n * 0.5), 100)`), each keeping one answer drawn at random;
 * - the validation set is min(20, rest) of the remaining examples, fixed once: the reference draws a
 *   new random subsample for every candidate, which makes scores of different instructions incomparable
 *   and their per-example score vectors (used by the instruction-coupled kernel) misaligned;
 * - the test set is up to 100 examples of the execute data; a task without execute data (two reference
 *   tasks, BIG-Bench tasks, user files) holds out min(100, floor(n/3)) induce examples first.
 * Before splitting (unless `hygiene` is false), duplicate inputs are merged (same input after trimming whitespace: the first
 * occurrence is kept, with the union of the accepted answers) and induce inputs also found in the
 * test file are removed from the induce side (demos, validation), never from test; see
 * `cleanTaskExamples` in ./hygiene.ts. `notes` says how many ("12 duplicate inputs removed (merged
 * into their first occurrence)", "2 inputs also in the test file removed from demos and validation
 * (kept in test)"). A task without duplicates or overlaps splits exactly as before. A task left with
 * too few distinct examples is a UserError ("too few distinct examples"), never a split in which
 * the same example is both validated and tested.
 * When fewer than `validationSize` examples are left for validation, all of them are used and
 * `notes` says so (the splits are the same as without the note).
 */
export function splitTask(task: Task, options: SplitOptions = {}): TaskSplits {
  const seed = options.seed ?? 0;
  const validationSize = options.validationSize ?? 20;
  const testSize = options.testSize ?? 100;
  const promptGenMax = options.promptGenMax ?? 100;
  const rng = new Rng(seedFor(seed, `split:${task.name}`));

  const clean = examplesToSplit(task, options.hygiene ?? true);
  const cleaned = clean.induceDuplicates + clean.executeDuplicates + clean.overlap > 0;
  const hasTestFile = clean.execute.length > 0;
  let induce = rng.shuffled(clean.induce);
  let test: Example[];
  if (hasTestFile) {
    test = rng.shuffled(clean.execute).slice(0, testSize);
  } else {
    const held = Math.min(testSize, Math.floor(induce.length / 3));
    test = induce.slice(0, held);
    induce = induce.slice(held);
  }
  const promptGenSize = Math.min(Math.floor(induce.length / 2), promptGenMax);
  if (promptGenSize < 1 || induce.length - promptGenSize < 1 || test.length < 1) {
    if (!cleaned) {
      throw new UserError(
        `task ${task.name} has too few examples to split (${task.induce.length} induce, ${task.execute.length} test)`,
      );
    }
    throw new UserError(
      `task ${task.name} has too few distinct examples to split: ${tooFewDetail(task, clean)}; ` +
        "examples with the same input (after trimming whitespace) count once",
    );
  }
  const promptGen = induce
    .slice(0, promptGenSize)
    .map((ex) => ({ input: ex.input, answers: [rng.pick(ex.answers)] }));
  const validation = induce.slice(promptGenSize, promptGenSize + validationSize);
  const splits: TaskSplits = { promptGen, validation, test };
  const notes = cleaningNotes(clean, hasTestFile);
  if (validation.length < validationSize) {
    // the run goes on with what there is, and says so
    const n = clean.induce.length;
    const examples = clean.induceDuplicates > 0 ? "distinct examples" : "examples";
    const used = hasTestFile
      ? `the task has ${n} ${examples} besides its ${clean.execute.length} test examples: ${promptGenSize} demos for the generator, ${validation.length} left`
      : `the task has ${n} ${examples}: ${test.length} held out for test, ${promptGenSize} demos for the generator, ${validation.length} left`;
    notes.push(
      `validation: ${validation.length} example${validation.length === 1 ? "" : "s"} (${validationSize} requested; ${used})`,
    );
  }
  if (notes.length > 0) splits.notes = notes;
  return splits;
}

/** The examples a task is split from: cleaned by hygiene, or as they are (`hygiene` false). */
function examplesToSplit(task: Task, hygiene: boolean): CleanExamples {
  if (hygiene) return cleanTaskExamples(task);
  return {
    induce: task.induce.slice(),
    execute: task.execute.slice(),
    induceDuplicates: 0,
    executeDuplicates: 0,
    overlap: 0,
  };
}

/** A split by the reference's rule, with the demos the reference shows the generator. */
export interface ReferenceSplit {
  splits: TaskSplits;
  demos: Demo[];
}

/**
 * The reference implementation's split (`run_instructzero.py` with APE's `data.create_split`), which
 * does not depend on the run's seed:
 * 1. `random.seed(0)`; the prompt-generation set is `random.sample(range(n), min(int(n * 0.5), 100))`
 *    of the induce examples (in the sampled order), the rest (in file order) is the evaluation pool;
 * 2. each prompt-generation example keeps one answer, `random.sample(answers, 1)[0]` (in order);
 * 3. the demos are `random.sample` of `demos` prompt-generation examples (its `subsample_data`);
 * 4. the validation set is the next draw, `random.sample` of min(validationSize, pool) pool examples:
 *    the reference draws a new one for every candidate, and this is the one its first candidate gets
 *    (a run keeps it fixed, see README "Where this differs");
 * 5. the test set is the next draw, `random.sample` of min(testSize, n) examples of the execute file.
 *    The reference draws it after the search, so for execute files of more than 100 examples its 100
 *    depend on how many evaluations drew before; with at most 100 it is the whole file (the order does
 *    not change a mean).
 * Every draw uses Python's Mersenne Twister (./python-random.ts), checked against CPython by
 * scripts/oracles/reference_split.py. A task without an execute file (not a reference task) first holds
 * out `random.sample` of min(testSize, floor(n/3)) examples under `random.seed(0)`.
 * With `hygiene` (default false here: the reference has none) the examples are cleaned first as by
 * {@link splitTask}.
 */
export function referenceSplit(
  task: Task,
  options: { validationSize?: number; testSize?: number; demos: number; hygiene?: boolean },
): ReferenceSplit {
  const validationSize = options.validationSize ?? 20;
  const testSize = options.testSize ?? 100;
  const clean = examplesToSplit(task, options.hygiene ?? false);
  let induce = clean.induce;
  let heldOut: Example[] | null = null;
  if (clean.execute.length === 0) {
    const held = Math.min(testSize, Math.floor(induce.length / 3));
    const idx = new PythonRandom(0).sample(induce.length, held);
    const taken = new Set(idx);
    heldOut = idx.map((i) => induce[i]);
    induce = induce.filter((_, i) => !taken.has(i));
  }
  const n = induce.length;
  const promptGenSize = Math.min(Math.floor(n * 0.5), 100);
  const py = new PythonRandom(0);
  const genIdx = py.sample(n, promptGenSize);
  const inGen = new Set(genIdx);
  const pool = induce.filter((_, i) => !inGen.has(i));
  if (promptGenSize < 1 || pool.length < 1 || (heldOut ?? clean.execute).length < 1) {
    throw new UserError(
      `task ${task.name} has too few examples to split (${task.induce.length} induce, ${task.execute.length} test)`,
    );
  }
  const promptGen = genIdx.map((i) => {
    const ex = induce[i];
    return { input: ex.input, answers: [ex.answers[py.sample(ex.answers.length, 1)[0]]] };
  });
  const demoCount = Math.min(options.demos, promptGen.length);
  const demos = py
    .sample(promptGen.length, demoCount)
    .map((i) => ({ input: promptGen[i].input, output: promptGen[i].answers[0] }));
  const validation = py.sample(pool.length, Math.min(validationSize, pool.length)).map((i) => pool[i]);
  const test =
    heldOut ??
    py.sample(clean.execute.length, Math.min(testSize, clean.execute.length)).map((i) => clean.execute[i]);
  const splits: TaskSplits = { promptGen, validation, test };
  const notes = [...cleaningNotes(clean, heldOut === null)];
  if (validation.length < validationSize) {
    notes.push(
      `validation: ${validation.length} example${validation.length === 1 ? "" : "s"} (${validationSize} requested; the reference's split leaves ${pool.length} after ${promptGenSize} demos for the generator)`,
    );
  }
  if (notes.length > 0) splits.notes = notes;
  return { splits, demos };
}

/** "30 examples with 1 distinct input" and the like, for the too-few error. */
function tooFewDetail(task: Task, clean: CleanExamples): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const distinct = clean.induce.length + clean.overlap;
  const hasTestFile = task.execute.length > 0;
  let text = count(task.induce.length, hasTestFile ? "induce example" : "example");
  if (clean.induceDuplicates > 0) text += ` with ${count(distinct, "distinct input")}`;
  if (clean.overlap > 0) {
    text += ` (${count(clean.overlap, "input")} also in the test file, kept out of demos and validation)`;
  }
  if (hasTestFile) {
    text += `, ${count(task.execute.length, "test example")}`;
    if (clean.executeDuplicates > 0) text += ` with ${count(clean.execute.length, "distinct input")}`;
  }
  return text;
}

/** `count` demos drawn (seeded) from the prompt-generation set, as input/output pairs. */
export function sampleDemos(promptGen: readonly Example[], count: number, seed: number): Demo[] {
  const rng = new Rng(seedFor(seed, "demos"));
  return rng
    .shuffled(promptGen)
    .slice(0, count)
    .map((ex) => ({ input: ex.input, output: ex.answers[0] }));
}
