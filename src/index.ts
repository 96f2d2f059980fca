/**
 * instructzero: find the best instruction for a black-box LLM.
 * Library entry point; the CLI (src/cli) is a thin layer over these exports.
 */
export { defaultCachePath } from "./blackbox/cache.js";
export { createBlackBox } from "./blackbox/client.js";
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
export { knownProviders, type ModelId, parseModelId, registerProvider } from "./blackbox/registry.js";
export type * from "./blackbox/types.js";
export * from "./bo/index.js";
export {
  type EvaluateOptions,
  type EvaluationUsage,
  type ExampleResult as EvaluatedExample,
  evaluateInstruction,
  type InstructionEvaluation,
} from "./evaluation/evaluate.js";
export type {
  GeneratedInstruction,
  GeneratorOptions,
  InstructionGenerator,
  PromptEmbedder,
} from "./generator/generator.js";
export {
  buildTestModel,
  loadGenerator,
  loadPromptEmbedder,
  openLocalModel,
  prepareDecoder,
} from "./generator/lazy.js";
export type { LocalModel, LocalModelOptions, TextCompletion } from "./generator/local-model.js";
export type { PreparedFiles, PrepareOptions } from "./generator/prepare/prepare.js";
export { makeProjection, type Projection, type ProjectionKind, project } from "./generator/projection.js";
export { type Demo, inductionPrompt } from "./generator/prompt.js";
export type { BuildTestModelOptions, TestPreset } from "./generator/test-model/build.js";
export { BudgetExhausted, BudgetedBlackBox, type CallBudget } from "./optimizers/budget.js";
export { planRun, type RunPlan } from "./optimizers/plan.js";
export { executeRun, makeRunConfig, RUN_DEFAULTS, type RunDeps, type RunOutcome } from "./optimizers/run.js";
export { openRunDeps } from "./optimizers/setup.js";
export {
  runSweep,
  type SweepCell,
  type SweepRow,
  summarizeSweep,
  sweepCsv,
  sweepMarkdown,
} from "./optimizers/sweep.js";
export type { PointProposer, ProgressEvent, SoftPromptGenerator } from "./optimizers/types.js";
export {
  type ExampleResult,
  exportRun,
  type InstructionSummary,
  RUN_EXPORT_FORMAT,
  RUN_EXPORT_VERSION,
  type RunExport,
} from "./report/export.js";
export { renderHtmlReport } from "./report/html.js";
export { formatRunDetails, runsTable } from "./report/text.js";
export {
  defaultLedgerPath,
  LEDGER_SCHEMA_VERSION,
  Ledger,
  LedgerConflictError,
  type LedgerOptions,
  openLedger,
} from "./store/ledger.js";
export { assertNoSecrets } from "./store/secrets.js";
export type * from "./store/types.js";
export { RUN_STATUSES } from "./store/types.js";
export * from "./tasks/index.js";
export type * from "./tasks/types.js";
export { UserError } from "./util/errors.js";
export { Rng, seedFor } from "./util/rng.js";
export { VERSION } from "./version.js";
