/**
 * Types of the run ledger: what one optimisation run stores (its configuration, every scored
 * candidate instruction, optimiser checkpoints and the final result).
 */

/** A run's configuration (see src/config/schema.ts): JSON, stored once per run, never holds secrets. */
import type { RunConfig } from "../config/schema.js";
import type { JudgeUsage } from "../metrics/types.js";
import type { Example } from "../tasks/types.js";
import type {
  BaselineResult,
  Comparison,
  OldCandidateResult,
  RunVerdict,
  SelectionResult,
} from "./results-types.js";

export type { RunConfig };

/** One scored candidate instruction. */
export interface EvaluationRecord {
  /** 0-based order within the run. */
  index: number;
  /** 0 = initial design, then 1..k BO batches. */
  iteration: number;
  /** Soft prompt (null for ape). */
  z: number[] | null;
  instruction: string;
  /** Its own demonstration set (`demoSearch`); absent: the run's fixed demonstrations, if any. */
  demos?: { input: string; output: string }[];
  /** Mean validation score (over the examples scored: see `scored`). */
  score: number;
  /** Score per validation example (per example scored, in the validation order). */
  scores: number[];
  /** Black-box output per validation example (per example scored). */
  outputs: string[];
  /**
   * Racing (`racing`): the candidate stopped early, after this many validation examples (a prefix of
   * the validation order; `scores`, `outputs` and `feedback` have this length). Absent: every
   * validation example was scored.
   */
  scored?: number;
  /** The metric's feedback per validation example (user metrics and judges; null where none). */
  feedback?: (string | null)[];
  /** Judge calls, tokens and dollars of this candidate (judge metrics), apart from the black box's. */
  judge?: JudgeUsage;
  /** The candidate's instruction was empty after clean-up: scored 0 without any black-box call. */
  empty?: boolean;
  /** "init": an extra candidate given by the user (`initInstructions`), scored after the search. */
  origin?: "init";
  /** Same instruction already scored earlier in the run: not re-queried. */
  reused: boolean;
  calls: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  generationMs: number;
  evaluationMs: number;
  /**
   * Dollars per 1,000 queries with this instruction: 1000 x the black box's dollars / its paid calls
   * (input + output tokens at the target's prices, as the spend log records them). Absent in records
   * made before it existed, and when no call was paid (every answer cached, reused, empty).
   */
  usdPer1k?: number;
  /** Median latency in milliseconds of this candidate's paid black-box calls (absent like usdPer1k). */
  latencyMs?: number;
}

/** Lifecycle of a run. A new run is "running"; `finishRun` makes it "completed". */
export type RunStatus = "running" | "interrupted" | "stopped" | "completed" | "failed";

/** Every run status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "running",
  "interrupted",
  "stopped",
  "completed",
  "failed",
];

/** A named example set of a run ("validation", "test", ...), kept for reports. */
export type ExampleSplit = Example[];

/** The chosen instruction's score on the test split. */
export interface TestResult {
  /** Mean test score. */
  score: number;
  /**
   * 95% interval of the mean test score: Wilson's for 0/1 scores, the seeded studentized bootstrap for
   * graded ones (stats/interval.ts; runs of earlier versions stored a percentile bootstrap).
   */
  low?: number;
  high?: number;
  /** Score per test example. */
  scores: number[];
  /** Black-box output per test example. */
  outputs: string[];
  /** Test inputs (same order as `scores`), when the caller wants them in reports. */
  inputs?: string[];
  /** Accepted answers per test example. */
  answers?: string[][];
  /** The metric's feedback per test example (null where none). */
  feedback?: (string | null)[];
  /** Calls, tokens and dollars of the test phase (the black box's; the judge's apart). */
  usage?: { calls: number; cacheHits: number; inputTokens: number; outputTokens: number; costUsd: number };
  judge?: JudgeUsage;
}

/** Resource totals of a run (black-box calls, tokens, dollars, time). */
export interface RunTotals {
  /** Evaluations (scored candidates, reused ones included). */
  evaluations: number;
  /** Black-box calls actually made (validation + test). */
  calls: number;
  cacheHits: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Wall time of the whole run, all sessions together. */
  wallMs?: number;
  generationMs?: number;
  evaluationMs?: number;
  boMs?: number;
  /** Other counters. */
  [extra: string]: number | undefined;
}

/** What `finishRun` records. */
export interface RunResult {
  /** Index of the chosen evaluation. */
  bestIndex: number;
  test: TestResult | null;
  totals: RunTotals;
  /** How the winner was chosen (absent in runs made before selection existed). */
  selection?: SelectionResult;
  /** Baselines' validation and test scores. */
  baselines?: BaselineResult[];
  /** The winner against each baseline on the test split. */
  comparisons?: Comparison[];
  /** Ship, don't ship or inconclusive, from the comparisons (stats/verdict.ts); absent without a test. */
  verdict?: RunVerdict;
  /** What the user should know about the data and the choice. */
  notes?: string[];
  /** A migration: the old run's top candidates on the new model (src/optimizers/phases/old-candidates.ts). */
  oldCandidates?: OldCandidateResult[];
}

/** One run as stored. Timestamps are ISO-8601 UTC strings. */
export interface RunRecord {
  id: string;
  config: RunConfig;
  status: RunStatus;
  statusMessage: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Set by `finishRun`, null before. */
  result: RunResult | null;
}

/** One line of `listRuns()`. */
export interface RunSummary {
  id: string;
  task: string;
  method: string;
  target: string;
  status: RunStatus;
  statusMessage: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Evaluations recorded so far. */
  evaluations: number;
  /** Best validation score so far (null with no evaluation). */
  bestScore: number | null;
  /** Test score of the chosen instruction (null before `finishRun` or without a test). */
  testScore: number | null;
  /** Dollars spent: the final totals once finished, else the sum over evaluations. */
  costUsd: number;
  /** Black-box calls made: the final totals once finished, else the sum over evaluations. */
  calls: number;
}
