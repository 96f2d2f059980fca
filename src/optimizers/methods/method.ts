/** The contract of a search method: one module per method, one line in ./index.ts. */
import type { RunConfig } from "../../config/schema.js";
import type { MethodContext, PointProposer } from "../types.js";

export interface SearchMethod {
  /** Name used in options, the ledger and reports. */
  readonly name: string;
  /** One line for `--help` and the docs. */
  readonly description: string;
  /** Needs the soft-prompt generator (and so a generator model). */
  readonly usesGenerator: boolean;
  /**
   * Its candidates are written by a proposer model (the black box, or the `proposer` option), which
   * must then be a model: a function black box only answers scoring queries.
   */
  readonly usesProposer: boolean;
  /** In the default method grid of `instructzero bench` [true]. */
  readonly sweepByDefault?: boolean;
  /** Where its soft prompts come from (methods that use the generator). */
  pointProposer?(): Promise<PointProposer>;
  /** Black-box calls spent on proposing candidates (not scoring them), for the dry-run plan. */
  proposalCalls(config: RunConfig): number;
  /** Search to the budget, appending every scored candidate to the ledger; resumable. */
  run(ctx: MethodContext): Promise<void>;
}
