/// <reference types="node" preserve="true" />
// Our declarations use Node's globals (NodeJS.ProcessEnv, Buffer): this brings @types/node (a dependency) to a consumer.
/**
 * instructzero: find the best instruction for a black-box LLM.
 *
 * The package root is the task-level API: run and resume an optimisation, the run options' schema, the
 * metrics, the black-box factory and the errors a caller may catch. The engine's parts are behind
 * subpath exports (see README "Use it from code"): "instructzero/bo", "instructzero/generator",
 * "instructzero/blackbox", "instructzero/store", "instructzero/tasks", "instructzero/metrics",
 * "instructzero/evaluation", "instructzero/optimizers", "instructzero/config", "instructzero/stats",
 * "instructzero/report", "instructzero/util". test/package/exports.test.ts keeps the root at <= 40
 * runtime names.
 */

export { type MigrateRunOptions, migrateRun } from "./api/migrate-run.js";
export {
  type CandidateResult,
  type ExampleInput,
  type OptimizeInstructionOptions,
  type OptimizeResult,
  optimizeInstruction,
  type ResumeRunOptions,
  resumeRun,
} from "./api/optimize-instruction.js";
export { createBlackBox } from "./blackbox/client.js";
export {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  BlackBoxError,
  ConnectionError,
  HaltedError,
  isTransient,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "./blackbox/errors.js";
export type {
  BlackBoxEvent,
  BlackBoxOptions,
  ProviderFactory,
  ProviderFactoryOptions,
} from "./blackbox/options.js";
export {
  type BlackBoxAnswer,
  type BlackBoxFunction,
  type BlackBoxQuery,
  TransientError,
} from "./blackbox/providers/function.js";
export { registerProvider } from "./blackbox/registry.js";
export type {
  BlackBox,
  Completion,
  CompletionParams,
  CompletionRequest,
  Usage,
  UsageTotals,
} from "./blackbox/types.js";
export { parseRunConfig, parseRunOptions } from "./config/parse.js";
export {
  DEFAULT_GENERATOR,
  DEFAULT_TARGET,
  type FileRef,
  type RunConfig,
  RunConfigSchema,
  type RunOptions,
  RunOptionsSchema,
} from "./config/schema.js";
export { JUDGE_PROMPT, judgeMetric } from "./metrics/judge.js";
export type {
  JudgeMetric,
  JudgeMetricOptions,
  JudgeUsage,
  MetricExample,
  MetricFunction,
  MetricSpec,
  MetricValue,
} from "./metrics/types.js";
export { BudgetExhausted, RunInterrupted } from "./optimizers/budget.js";
export type { ProgressEvent } from "./optimizers/types.js";
export type { MigrationRow, MigrationTable } from "./session/migrate.js";
export {
  type NewRunOptions,
  type RunLimits,
  RunSession,
  type SessionOptions,
  type StoredRunOptions,
} from "./session/run-session.js";
export { LedgerConflictError, RunLockedError } from "./store/ledger.js";
export type { RunStatus, RunTotals } from "./store/types.js";
export { type LoadTaskOptions, loadTask } from "./tasks/load.js";
export { METRICS, scoreMetric } from "./tasks/metrics.js";
export { type SplitOptions, splitTask } from "./tasks/splits.js";
export type { Example, MetricName, Task, TaskSplits } from "./tasks/types.js";
export { InstructZeroError, UserError } from "./util/errors.js";
export { VERSION } from "./version.js";
