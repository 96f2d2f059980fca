import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import { type CleanExamples, cleaningNotes, cleanTaskExamples } from "./hygiene.js";
import type { Demo, Example, Task, TaskSplits } from "./types.js";

/** Split sizes (defaults reproduce the reference). */
export interface SplitOptions {
  /** Seed of the split (default 0). */
  seed?: number;
  /** Validation examples scored per candidate instruction (default 20). */
  validationSize?: number;
  /** Maximum number of test examples (default 100). */
  testSize?: number;
  /** Maximum size of the prompt-generation set (default 100). */
  promptGenMax?: number;
}

/**
 * The reference splits, seeded and deterministic:
 * - induce examples are shuffled; the prompt-generation set is the first min(floor(n/2), 100) (the
 *   reference code's `min(int(n * 0.5), 100)`), each keeping one answer drawn at random;
 * - the validation set is min(20, rest) of the remaining examples, fixed once: the reference draws a
 *   new random subsample for every candidate, which makes scores of different instructions incomparable
 *   and their per-example score vectors (used by the instruction-coupled kernel) misaligned;
 * - the test set is up to 100 examples of the execute data; a task without execute data (two reference
 *   tasks, BIG-Bench tasks, user files) holds out min(100, floor(n/3)) induce examples first.
 * Before splitting, duplicate inputs are merged (same input after trimming whitespace: the first
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

  const clean = cleanTaskExamples(task);
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
