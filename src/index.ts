/**
 * instructzero: find the best instruction for a black-box LLM.
 * Library entry point; the CLI (src/cli) is a thin layer over these exports.
 */
export {
  type CandidateResult,
  type ExampleInput,
  type OptimizeInstructionOptions,
  type OptimizeResult,
  optimizeInstruction,
  type ResumeRunOptions,
  resumeRun,
} from "./api/optimize-instruction.js";
export * from "./blackbox/batch/index.js";
export { defaultCachePath } from "./blackbox/cache.js";
export { createBlackBox, createFunctionBlackBox, type FunctionBlackBoxOptions } from "./blackbox/client.js";
export {
  AuthenticationError,
  BadRequestError,
  BadResponseError,
  BlackBoxError,
  ConnectionError,
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
  type CostEstimate,
  DEFAULT_PRICES,
  estimateCost,
  type ModelPrice,
  type PriceTable,
} from "./blackbox/pricing.js";
export {
  type BlackBoxAnswer,
  type BlackBoxFunction,
  type BlackBoxQuery,
  TransientError,
} from "./blackbox/providers/function.js";
export { knownProviders, type ModelId, parseModelId, registerProvider } from "./blackbox/registry.js";
export type * from "./blackbox/types.js";
export * from "./bo/index.js";
export { type OptionField, optionFields, optionsMarkdown } from "./config/fields.js";
export { migrateConfigV1 } from "./config/migrate.js";
export { parseRunConfig, parseRunOptions } from "./config/parse.js";
export {
  CONFIG_SECTIONS,
  DEFAULT_GENERATOR,
  DEFAULT_TARGET,
  type FileRef,
  type RunConfig,
  RunConfigSchema,
  type RunOptions,
  RunOptionsSchema,
} from "./config/schema.js";
export {
  type EvaluateOptions,
  type EvaluationUsage,
  type ExampleResult as EvaluatedExample,
  evaluateInstruction,
  type InstructionEvaluation,
} from "./evaluation/evaluate.js";
export type {
  GeneratedInstruction,
  GeneratorBackend,
  GeneratorBackendOptions,
  SoftPromptGenerator,
} from "./generator/backend.js";
export { GENERATOR_BACKENDS, generatorBackendFor, openGenerator } from "./generator/backends/index.js";
export type { GeneratorOptions, InstructionGenerator, PromptEmbedder } from "./generator/generator.js";
export {
  buildTestModel,
  loadGenerator,
  loadPromptEmbedder,
  openLocalModel,
  prepareDecoder,
} from "./generator/lazy.js";
export type {
  LocalModelHandle as LocalModel,
  LocalModelHandle,
  LocalModelOptions,
  TextCompletion,
} from "./generator/local-model-api.js";
export type { PreparedFiles, PrepareOptions } from "./generator/prepare/prepare.js";
export { makeProjection, type Projection, type ProjectionKind, project } from "./generator/projection.js";
export { type Demo, inductionPrompt } from "./generator/prompt.js";
export type { BuildTestModelOptions, TestPreset } from "./generator/test-model/build.js";
export {
  createJudgeScorer,
  JUDGE_MAX_TOKENS,
  JUDGE_PROMPT,
  judgeMetric,
  parseJudgeAnswer,
  renderJudgePrompt,
} from "./metrics/judge.js";
export { builtinScorer, functionScorer } from "./metrics/scorer.js";
export type {
  JudgeMetric,
  JudgeMetricOptions,
  JudgeUsage,
  MetricExample,
  MetricFunction,
  MetricSpec,
  MetricValue,
  ScoredAnswer,
  Scorer,
} from "./metrics/types.js";
export {
  BudgetExhausted,
  BudgetedBlackBox,
  type CallBudget,
  RunBudget,
  RunInterrupted,
  worstCaseCost,
} from "./optimizers/budget.js";
export { getMethod, METHODS, methodNames, type SearchMethod } from "./optimizers/methods/index.js";
export { planRun, type RunPlan } from "./optimizers/plan.js";
export { executeRun, makeRunConfig, RUN_DEFAULTS, type RunDeps, type RunOutcome } from "./optimizers/run.js";
export type { RunConfigExtras } from "./optimizers/run-config.js";
export { openRunDeps } from "./optimizers/setup.js";
export {
  runSweep,
  type SweepCell,
  type SweepRow,
  summarizeSweep,
  sweepCsv,
  sweepMarkdown,
} from "./optimizers/sweep.js";
export type { PointProposer, ProgressEvent } from "./optimizers/types.js";
export {
  type ExampleResult,
  exportRun,
  type InstructionSummary,
  RUN_EXPORT_FORMAT,
  RUN_EXPORT_VERSION,
  type RunExport,
} from "./report/export.js";
export { renderHtmlReport } from "./report/html.js";
export { renderSweepHtml } from "./report/sweep-html.js";
export { formatRunDetails, runsTable } from "./report/text.js";
export {
  defaultLedgerPath,
  LEDGER_SCHEMA_VERSION,
  Ledger,
  LedgerConflictError,
  type LedgerOptions,
  openLedger,
  RUN_LOCK_STALE_MS,
  type RunLock,
  RunLockedError,
  type RunLockHolder,
  type SpendEntry,
  type SpendTotals,
} from "./store/ledger.js";
export type * from "./store/types.js";
export { RUN_STATUSES } from "./store/types.js";
export * from "./tasks/index.js";
export type * from "./tasks/types.js";
export { UserError } from "./util/errors.js";
export { Rng, seedFor } from "./util/rng.js";
export { assertNoSecrets } from "./util/secrets.js";
export { VERSION } from "./version.js";
