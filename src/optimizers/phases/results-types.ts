/** The phases' result types live with the ledger that stores them (src/store/results-types.ts). */
export type {
  BaselineKind,
  BaselineResult,
  Comparison,
  OldCandidateResult,
  RunVerdict,
  SelectionCandidate,
  SelectionResult,
} from "../../store/results-types.js";
