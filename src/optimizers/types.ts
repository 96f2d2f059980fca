import type { BlackBox } from "../blackbox/types.js";
import type { RunConfig } from "../config/schema.js";
import type { SoftPromptGenerator } from "../generator/backend.js";
import type { Scorer } from "../metrics/types.js";
import type { Ledger } from "../store/ledger.js";
import type { Demo, TaskSplits } from "../tasks/types.js";

export type { SoftPromptGenerator };

/** Evaluated soft prompts, as the point proposer sees them. */
export interface SearchHistory {
  points: number[][];
  /** Validation scores (maximised). */
  values: number[];
  /** Per-example validation scores. */
  scoreVectors: number[][];
  /**
   * Soft prompts proposed earlier and still being scored, not in `points` (a pipelined run: the
   * previous batch's last generation chunk, or the batch's own first chunk); the batch should avoid them.
   */
  pending?: number[][];
}

/** Where the next soft prompts come from (Bayesian optimisation, see src/bo; or uniform draws). */
export interface PointProposer {
  /**
   * False when `next` ignores the history (random draws): no "propose" phase, no over-proposal for
   * distinct batches [true].
   */
  readonly usesHistory?: boolean;
  /** Space-filling initial design of `n` points in [-1, 1]^dim. */
  initial(n: number, dim: number, seed: number): number[][];
  /**
   * The next batch of `q` points. `warmStart` is the `state` returned by the previous step (JSON),
   * so a resumed run proposes exactly what an uninterrupted one would.
   */
  next(
    history: SearchHistory,
    q: number,
    options: {
      /** Seed of this step (derived from the run seed and the iteration). */
      seed: number;
      /** The run's seed. */
      runSeed: number;
      /** Batch number (1 = the first batch after the initial design). */
      iteration: number;
      /** Dimension of the points. */
      dim: number;
      batchMode: RunConfig["batchMode"];
      warmStart?: unknown;
    },
  ): { points: number[][]; state?: unknown };
}

/** What a method needs to run. */
export interface MethodContext {
  runId: string;
  config: RunConfig;
  ledger: Ledger;
  /** The black box being optimised for (wrapped with the run's call budget). */
  blackBox: BlackBox;
  splits: TaskSplits;
  /** Scores answers (built-in metric, user function or LLM judge). */
  metric: Scorer;
  /** Demos shown to the instruction generator. */
  demos: Demo[];
  /**
   * Few-shot prompts (`targetDemos`): the demonstrations put in every black-box query of a candidate
   * without its own set, the baselines' and the test's [none: zero-shot].
   */
  targetDemos?: Demo[];
  /** The demo pool the demonstration sets are drawn from (`targetDemos` > 0) [none]. */
  demoPool?: Demo[];
  /** Required by instructzero and uniform. */
  generator?: SoftPromptGenerator;
  /** Required by instructzero. */
  pointProposer?: PointProposer;
  /** Model that proposes instructions for ape (default: the black box itself). */
  proposer?: BlackBox;
  /** Max answer tokens per black-box query. */
  maxTokens: number;
  /** Progress hook. */
  onProgress?: (event: ProgressEvent) => void;
  /** Set when the user interrupts (Ctrl-C): the method stops after the current evaluation. */
  signal?: AbortSignal;
  /** Accumulated time per phase (ms), for the overhead report. */
  timing: PhaseTiming;
}

/** Wall time spent per phase. */
export interface PhaseTiming {
  generationMs: number;
  evaluationMs: number;
  boMs: number;
}

/** One progress update. */
export interface ProgressEvent {
  phase: "generate" | "propose" | "evaluate" | "select" | "baselines" | "test";
  evaluations: number;
  budget: number;
  bestScore: number | null;
  /** The candidate just scored ("evaluate" events): its index, instruction and validation score. */
  candidate?: { index: number; instruction: string; score: number; reused: boolean };
  /**
   * Paid attempts and dollars of the run so far (every session; black box, proposals and judge; an
   * attempt abandoned at the timeout counted at its worst case), when known.
   */
  spent?: { calls: number; costUsd: number };
  /**
   * The phases after the search (select, baselines, test): the black-box queries the phase has had
   * answered (cache hits included) of the most it asks (a resumed phase skips what it did before).
   */
  step?: { done: number; total: number };
}
