import { UserError } from "../util/errors.js";
import { Rng, seedFor } from "../util/rng.js";
import type { Example, Task, TaskSplits } from "./types.js";

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
 * When fewer than `validationSize` examples are left for validation, all of them are used and
 * `notes` says so (the splits are the same as without the note).
 */
export function splitTask(task: Task, options: SplitOptions = {}): TaskSplits {
  const seed = options.seed ?? 0;
  const validationSize = options.validationSize ?? 20;
  const testSize = options.testSize ?? 100;
  const promptGenMax = options.promptGenMax ?? 100;
  const rng = new Rng(seedFor(seed, `split:${task.name}`));

  let induce = rng.shuffled(task.induce);
  let test: Example[];
  if (task.execute.length > 0) {
    test = rng.shuffled(task.execute).slice(0, testSize);
  } else {
    const held = Math.min(testSize, Math.floor(induce.length / 3));
    test = induce.slice(0, held);
    induce = induce.slice(held);
  }
  const promptGenSize = Math.min(Math.floor(induce.length / 2), promptGenMax);
  if (promptGenSize < 1 || induce.length - promptGenSize < 1 || test.length < 1) {
    throw new UserError(
      `task ${task.name} has too few examples to split (${task.induce.length} induce, ${task.execute.length} test)`,
    );
  }
  const promptGen = induce
    .slice(0, promptGenSize)
    .map((ex) => ({ input: ex.input, answers: [rng.pick(ex.answers)] }));
  const validation = induce.slice(promptGenSize, promptGenSize + validationSize);
  const splits: TaskSplits = { promptGen, validation, test };
  if (validation.length < validationSize) {
    // the run goes on with what there is, and says so
    const n = task.induce.length;
    const used =
      task.execute.length > 0
        ? `the task has ${n} examples besides its ${task.execute.length} test examples: ${promptGenSize} demos for the generator, ${validation.length} left`
        : `the task has ${n} examples: ${test.length} held out for test, ${promptGenSize} demos for the generator, ${validation.length} left`;
    splits.notes = [
      `validation: ${validation.length} example${validation.length === 1 ? "" : "s"} (${validationSize} requested; ${used})`,
    ];
  }
  return splits;
}

/** `count` demos drawn (seeded) from the prompt-generation set, as input/output pairs. */
export function sampleDemos(
  promptGen: readonly Example[],
  count: number,
  seed: number,
): { input: string; output: string }[] {
  const rng = new Rng(seedFor(seed, "demos"));
  return rng
    .shuffled(promptGen)
    .slice(0, count)
    .map((ex) => ({ input: ex.input, output: ex.answers[0] }));
}
