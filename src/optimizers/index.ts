/// <reference types="node" preserve="true" />
/**
 * "instructzero/optimizers": the run engine under optimizeInstruction: budgets, search methods, the
 * run plan, the run itself, its dependencies and the sweep.
 */
export {
  BudgetExhausted,
  BudgetedBlackBox,
  type CallBudget,
  RunBudget,
  RunInterrupted,
  worstCaseCost,
} from "./budget.js";
export {
  defaultSweepMethods,
  getMethod,
  METHODS,
  methodNames,
  type SearchMethod,
} from "./methods/index.js";
export { planRun, type RunPlan } from "./plan.js";
export { executeRun, makeRunConfig, RUN_DEFAULTS, type RunDeps, type RunOutcome } from "./run.js";
export type { RunConfigExtras } from "./run-config.js";
export { openRunDeps } from "./setup.js";
export {
  type SweepCell,
  type SweepRow,
  summarizeSweep,
  sweepCsv,
  sweepMarkdown,
} from "./sweep.js";
export type { PointProposer, ProgressEvent } from "./types.js";
