import type { Demo } from "../tasks/types.js";

/** A candidate to score: its instruction and where it came from. */
export interface Candidate {
  index: number;
  iteration: number;
  z: number[] | null;
  instruction: string;
  /** Its demonstration set (`demoSearch`); absent: the run's fixed demonstrations (if any). */
  demos?: Demo[];
  generationMs: number;
  /** "init": an extra candidate given by the user (not proposed by the search). */
  origin?: "init";
  /** Usage spent to obtain the candidate (ape proposals), added to the record. */
  proposalUsage?: {
    calls: number;
    cacheHits: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  };
}
