/**
 * The benchmark task names the project knows, and their public origin. Names follow the reference
 * (Lichang-Chen/InstructZero): 24 original instruction-induction tasks + 9 extra, and the BIG-Bench
 * Instruction Induction (BBII) tasks of keirp/automatic_prompt_engineer (hyperbaton is not published).
 */

/** The 24 original instruction-induction tasks (they have human annotations). */
export const ORIGINAL_TASKS = [
  "active_to_passive",
  "antonyms",
  "cause_and_effect",
  "common_concept",
  "diff",
  "first_word_letter",
  "informal_to_formal",
  "larger_animal",
  "letters_list",
  "negation",
  "num_to_verbal",
  "orthography_starts_with",
  "rhymes",
  "second_word_letter",
  "sentence_similarity",
  "sentiment",
  "singular_to_plural",
  "sum",
  "synonyms",
  "taxonomy_animal",
  "translation_en-de",
  "translation_en-es",
  "translation_en-fr",
  "word_in_context",
] as const;

/** The 9 extra tasks of the reference (no annotations; two have no execute/test file). */
export const EXTRA_TASKS = [
  "ascii_word_recognition",
  "auto_categorization",
  "auto_debugging",
  "cs_algorithms",
  "object_counting",
  "odd_one_out",
  "periodic_elements",
  "word_sorting",
  "word_unscrambling",
] as const;

/** All 33 instruction-induction tasks. */
export const INSTRUCTION_INDUCTION_TASKS: readonly string[] = [...ORIGINAL_TASKS, ...EXTRA_TASKS].sort();

/** BIG-Bench Instruction Induction tasks, addressed as `bigbench-ii/<name>` (or `bbii/<name>`). */
export const BIGBENCH_II_TASKS: readonly string[] = [
  "causal_judgment",
  "disambiguation_qa",
  "dyck_languages",
  "epistemic_reasoning",
  "gender_inclusive_sentences_german",
  "implicatures",
  "linguistics_puzzles",
  "logical_fallacy_detection",
  "movie_recommendation",
  "navigate",
  "object_counting",
  "operators",
  "presuppositions_as_nli",
  "question_selection",
  "ruin_names",
  "snarks",
  "sports_understanding",
  "tense",
  "timedial",
  "winowhy",
  "word_sorting",
  "word_unscrambling",
];

/** Short names used by the reference's task list. */
export const TASK_ALIASES: Readonly<Record<string, string>> = {
  ascii: "ascii_word_recognition",
  object_count: "object_counting",
};

/** Prefix of BIG-Bench II task names. */
export const BIGBENCH_PREFIX = "bigbench-ii/";

/** Public origin of each data file, by its path relative to the data directory. */
export const DATA_ORIGINS = {
  instructionInduction:
    "https://raw.githubusercontent.com/Lichang-Chen/InstructZero/main/InstructZero/experiments/data/instruction_induction/raw",
  annotations:
    "https://raw.githubusercontent.com/keirp/automatic_prompt_engineer/main/experiments/data/instruction_induction/annotations",
  bigbench: "https://raw.githubusercontent.com/keirp/automatic_prompt_engineer/main/data/bigbench-ii",
} as const;

export type DataOrigins = { [K in keyof typeof DATA_ORIGINS]: string };

/** Relative data paths (the layout of the data directory). */
export const dataPaths = {
  induce: (task: string) => `instruction-induction/induce/${task}.json`,
  execute: (task: string) => `instruction-induction/execute/${task}.json`,
  annotations: (task: string) => `instruction-induction/annotations/${task}.json`,
  bigbench: (task: string) => `bigbench-ii/${task}/task.json`,
};

/** URL of a relative data path at its public origin. */
export function originUrl(relPath: string, origins: DataOrigins = DATA_ORIGINS): string {
  const ii = relPath.match(/^instruction-induction\/(induce|execute)\/(.+)$/);
  if (ii) return `${origins.instructionInduction}/${ii[1]}/${ii[2]}`;
  const ann = relPath.match(/^instruction-induction\/annotations\/(.+)$/);
  if (ann) return `${origins.annotations}/${ann[1]}`;
  const bb = relPath.match(/^bigbench-ii\/(.+)$/);
  if (bb) return `${origins.bigbench}/${bb[1]}`;
  throw new Error(`no public origin for data path ${relPath}`);
}
