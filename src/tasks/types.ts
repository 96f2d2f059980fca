/** Scoring rule for one task; see ./metrics.ts. */
export type MetricName = "em" | "f1" | "es" | "contains";

/** One example: an input and every accepted answer (at least one). */
export interface Example {
  input: string;
  answers: string[];
}

/**
 * One demonstration shown to an instruction proposer (the generator's induction prompt, APE's
 * proposal prompt): an input and the one answer shown for it.
 */
export interface Demo {
  input: string;
  output: string;
}

/** Where a task came from. */
export type TaskSource = "instruction-induction" | "bigbench-ii" | "file" | "examples";

/** A loaded task before splitting. */
export interface Task {
  /** Task name, e.g. "antonyms", "bigbench-ii/word_sorting", or the file's base name. */
  name: string;
  source: TaskSource;
  metric: MetricName;
  /** Examples used to induce instructions and to validate them (reference: induce/TASK.json). */
  induce: Example[];
  /** Held-out examples for the final test score (reference: execute/TASK.json). */
  execute: Example[];
  /** Human-written instruction(s), when known (instruction-induction annotations). */
  humanInstructions?: string[];
}

/** The reference splits of a task. */
export interface TaskSplits {
  /** Demonstrations shown to the instruction generator: min(n, 100), one answer kept each. */
  promptGen: Example[];
  /** Validation set scored for every candidate instruction (20 by default). */
  validation: Example[];
  /** Test set scored once for the chosen instruction (up to 100). */
  test: Example[];
  /**
   * What was cleaned and what differs from the request, in words: duplicate inputs merged ("12
   * duplicate inputs removed (merged into their first occurrence)"), inputs also in the test file
   * kept out of demos and validation ("2 inputs also in the test file removed from demos and
   * validation (kept in test)"), a short validation set ("validation: 7 examples (20 requested;
   * ...)"). Absent when the data needed no cleaning and every requested size was met.
   */
  notes?: string[];
}
