import type { BlackBox } from "../blackbox/types.js";
import type { Ledger } from "../store/ledger.js";
import type { RunConfig } from "../store/types.js";
import type { MetricName, TaskSplits } from "../tasks/types.js";

/** A demonstration shown to an instruction proposer. */
export interface Demo {
  input: string;
  output: string;
}

/** Turns soft prompts into instructions (the white-box generator; see src/generator). */
export interface SoftPromptGenerator {
  /** One instruction per soft prompt, in order. Deterministic for a given z and seed. */
  generate(zs: number[][], demos: Demo[]): Promise<{ text: string }[]>;
  close(): Promise<void>;
}

/** Evaluated soft prompts, as the point proposer sees them. */
export interface SearchHistory {
  points: number[][];
  /** Validation scores (maximised). */
  values: number[];
  /** Per-example validation scores. */
  scoreVectors: number[][];
}

/** Where the next soft prompts come from (Bayesian optimisation; see src/bo). */
export interface PointProposer {
  /** Space-filling initial design of `n` points in [-1, 1]^dim. */
  initial(n: number, dim: number, seed: number): number[][];
  /**
   * The next batch of `q` points. `warmStart` is the `state` returned by the previous step (JSON),
   * so a resumed run proposes exactly what an uninterrupted one would.
   */
  next(
    history: SearchHistory,
    q: number,
    options: { seed: number; batchMode: RunConfig["batchMode"]; warmStart?: unknown },
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
  metric: MetricName;
  /** Demos shown to the instruction generator. */
  demos: Demo[];
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
  phase: "generate" | "propose" | "evaluate" | "test";
  evaluations: number;
  budget: number;
  bestScore: number | null;
}
