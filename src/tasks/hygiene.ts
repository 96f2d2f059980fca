import type { Example, Task } from "./types.js";

/**
 * Data hygiene applied to every task before it is split (see {@link cleanTaskExamples}; `splitTask`
 * calls it, so benchmark tasks, task files and in-memory examples all go through it), unless the run
 * turns it off (`hygiene: "off"`, as the reference implementation, which has none; `--preset paper`).
 *
 * Two inputs are "the same" when they are the same string after trimming leading and trailing
 * whitespace (`input.trim()`); nothing else is normalised (case, inner spaces and punctuation count).
 */
export function inputKey(input: string): string {
  return input.trim();
}

/** Examples with duplicate inputs merged. */
export interface MergedExamples {
  /** The examples, each input once, in the order of their first occurrence. */
  examples: Example[];
  /** How many examples were merged into an earlier one with the same input. */
  removed: number;
}

/**
 * Merge examples with the same input ({@link inputKey}): the first occurrence is kept (its position
 * and its input text, untrimmed) and its accepted answers become the union of the group's answers
 * (first occurrence first, duplicates dropped, order kept). Examples without a duplicate are returned
 * as they are (the same objects, their answers untouched), so a list without duplicates comes back
 * element for element identical and its splits do not change.
 */
export function mergeDuplicateInputs(examples: readonly Example[]): MergedExamples {
  const groups = new Map<string, Example[]>();
  const order: string[] = [];
  for (const ex of examples) {
    const key = inputKey(ex.input);
    const group = groups.get(key);
    if (group) group.push(ex);
    else {
      groups.set(key, [ex]);
      order.push(key);
    }
  }
  const removed = examples.length - order.length;
  if (removed === 0) return { examples: examples.slice(), removed: 0 };
  const merged = order.map((key) => {
    const group = groups.get(key)!;
    if (group.length === 1) return group[0];
    const answers = [...new Set(group.flatMap((ex) => ex.answers))];
    return { input: group[0].input, answers };
  });
  return { examples: merged, removed };
}

/** A task's examples after {@link cleanTaskExamples}, with what was removed. */
export interface CleanExamples {
  /** Induce examples: duplicates merged, inputs also found in the test file removed. */
  induce: Example[];
  /** Test-file (execute) examples: duplicates merged. */
  execute: Example[];
  /** Induce examples merged into an earlier one with the same input. */
  induceDuplicates: number;
  /** Test-file examples merged into an earlier one with the same input. */
  executeDuplicates: number;
  /** Distinct induce inputs also present in the test file (removed from the induce side). */
  overlap: number;
}

/**
 * The examples a task is split from:
 * 1. duplicate inputs are merged within the induce data and within the test (execute) file
 *    ({@link mergeDuplicateInputs}), so one example can never land in two splits (before, a file of
 *    30 identical examples put the same example in validation and test, and both scored 1.000);
 * 2. inputs of the induce data that also occur in the test file are removed from the induce data, so
 *    they are neither demos for the generator nor validation examples. They are removed from the
 *    induce side, not from the test side, because the test file is the reference's fixed benchmark
 *    set: test scores stay comparable with the paper and with earlier runs, while the search never
 *    sees (as demos) or selects on (as validation) an input it is then tested on.
 * A task without duplicates or overlaps comes back unchanged (same examples, same order), so its
 * splits are exactly those of earlier versions.
 */
export function cleanTaskExamples(task: Pick<Task, "induce" | "execute">): CleanExamples {
  const induce = mergeDuplicateInputs(task.induce);
  const execute = mergeDuplicateInputs(task.execute);
  const testKeys = new Set(execute.examples.map((ex) => inputKey(ex.input)));
  const kept = induce.examples.filter((ex) => !testKeys.has(inputKey(ex.input)));
  return {
    induce: kept,
    execute: execute.examples,
    induceDuplicates: induce.removed,
    executeDuplicates: execute.removed,
    overlap: induce.examples.length - kept.length,
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * What {@link cleanTaskExamples} removed, in words (empty when nothing was), e.g.
 * "12 duplicate inputs removed (merged into their first occurrence)".
 */
export function cleaningNotes(clean: CleanExamples, hasTestFile: boolean): string[] {
  const notes: string[] = [];
  if (clean.induceDuplicates > 0) {
    const where = hasTestFile ? " in the induce data" : "";
    notes.push(
      `${plural(clean.induceDuplicates, "duplicate input", "duplicate inputs")}${where} removed (merged into their first occurrence)`,
    );
  }
  if (clean.executeDuplicates > 0) {
    notes.push(
      `${plural(clean.executeDuplicates, "duplicate input", "duplicate inputs")} in the test file removed (merged into their first occurrence)`,
    );
  }
  if (clean.overlap > 0) {
    notes.push(
      `${plural(clean.overlap, "input", "inputs")} also in the test file removed from demos and validation (kept in test)`,
    );
  }
  return notes;
}

/**
 * The examples of `pool` whose input is none of `used`, each input once (its first occurrence), in
 * `pool`'s order. Inputs are compared by {@link inputKey}, the normalisation hygiene uses, so a
 * whitespace variant of a validation, test or demo input ("cat " for "cat") counts as used. Used for
 * the selection split (examples the search never saw).
 */
export function unusedExamples(pool: readonly Example[], used: Iterable<string>): Example[] {
  const seen = new Set<string>();
  for (const input of used) seen.add(inputKey(input));
  const out: Example[] = [];
  for (const ex of pool) {
    const key = inputKey(ex.input);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(ex);
  }
  return out;
}
