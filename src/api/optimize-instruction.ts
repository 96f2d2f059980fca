/**
 * The one-call library API: optimise the instruction of a black box (an API model or the user's own
 * pipeline as an async function) on a task (a benchmark task, a file, or examples in memory), scored by
 * a metric (a built-in name, a function, or an LLM judge), with the same ledger, cache, budgets,
 * determinism and exact resume as the CLI.
 *
 *   const result = await optimizeInstruction({
 *     examples: [{ input: "hot", output: "cold" }, ...],
 *     blackBox: async ({ instruction, input }) => myPipeline(instruction, input),
 *     blackBoxId: "my-pipeline@3",
 *     metric: ({ prediction, example }) => (prediction === example.output ? 1 : 0),
 *     generator: "./models/qwen", budget: 150, seed: 0, store: "./runs.sqlite",
 *   });
 */
import type { BlackBoxFunction } from "../blackbox/providers/function.js";
import type { RunConfig, RunOptions } from "../config/schema.js";
import type { JudgeMetric, MetricFunction } from "../metrics/types.js";
import type { RunOutcome } from "../optimizers/outcome.js";
import type { BaselineResult, Comparison, SelectionResult } from "../optimizers/phases/results-types.js";
import { JUDGE_PREFIX, makeRunConfig } from "../optimizers/run-config.js";
import type { ProgressEvent } from "../optimizers/types.js";
import { RunSession } from "../session/run-session.js";
import type { RunVerdict } from "../store/results-types.js";
import type { EvaluationRecord, RunTotals, TestResult } from "../store/types.js";
import type { MetricName } from "../tasks/types.js";
import { examplesFromObjects, examplesSha256 } from "../tasks/user-file.js";
import { UserError } from "../util/errors.js";

/** One example given in memory: an input and its accepted answer(s). */
export interface ExampleInput {
  input: string;
  output: string | string[];
}

/** Options of {@link optimizeInstruction}: every run option (camelCase, as the CLI flags) plus the code-only ones. */
export interface OptimizeInstructionOptions
  extends Omit<RunOptions, "task" | "blackBox" | "metric" | "rubric"> {
  /** A benchmark task name or a .jsonl/.csv file; with `examples`, the run's name [examples]. */
  task?: string;
  /** The task's examples in memory (stored in the ledger, so resume needs no file). */
  examples?: ExampleInput[];
  /** The black box: "provider:model", an ES module file, or your pipeline as an async function. */
  blackBox?: string | BlackBoxFunction;
  /** em | f1 | es | contains, a metric function, `judgeMetric({ model, rubric })`, or a module file. */
  metric?: MetricName | MetricFunction | JudgeMetric | string;
  /**
   * The run ledger file [~/.instructzero/runs.sqlite], a postgres:// URL (ledger and response cache in
   * that database, shared with other machines), or false: in memory, nothing written (no cache either).
   */
  store?: string | false;
  /** Abort to stop after the current evaluations; the run is then "interrupted" and `resumeRun` continues it. */
  signal?: AbortSignal;
  /** Progress: phase, evaluations, best score, the candidate just scored, calls and dollars so far. */
  onProgress?: (event: ProgressEvent) => void;
}

/** One scored candidate, with its per-example results on the validation set. */
export interface CandidateResult {
  index: number;
  iteration: number;
  instruction: string;
  /** Its demonstrations (few-shot prompts). */
  demos?: { input: string; output: string }[];
  /** Mean validation score. */
  score: number;
  /** True when the instruction was already scored earlier in the run (its scores are reused). */
  reused: boolean;
  examples: { input: string; answers: string[]; output: string; score: number; feedback?: string }[];
}

/** What {@link optimizeInstruction} and {@link resumeRun} return. */
export interface OptimizeResult {
  runId: string;
  /** completed; stopped (a budget was reached: `reason`); interrupted (aborted: resume it). */
  status: "completed" | "stopped" | "interrupted";
  reason?: string;
  /** The chosen instruction (null before any evaluation). */
  best: {
    index: number;
    instruction: string;
    /** The demonstrations of the chosen prompt (`targetDemos` > 0), in the order they are shown. */
    demos?: { input: string; output: string }[];
    validationScore: number;
    testScore: number | null;
  } | null;
  /** Every candidate, in order. */
  evaluations: CandidateResult[];
  /** The chosen instruction on the test split (per example), when scored. */
  test: TestResult | null;
  /** Calls, tokens and dollars (black box; `judge*` for an LLM judge; `totalCostUsd` both) and time. */
  totals: RunTotals;
  /** The run's stored configuration. */
  config: RunConfig;
  /** Things the user should know (e.g. a function black box without blackBoxId is not cached). */
  warnings: string[];
  /** How the chosen instruction was picked (the selection split's scores), when the run has a selection. */
  selection?: SelectionResult;
  /** The baselines' validation and test scores, when the run scored baselines. */
  baselines?: BaselineResult[];
  /** The chosen instruction against each baseline on the test split. */
  comparisons?: Comparison[];
  /** Ship / don't ship / inconclusive over every baseline (with how many more test examples would decide it). */
  verdict?: RunVerdict;
}

/** Options of {@link resumeRun}: the functions of the run again (they cannot be stored), and where it is. */
export interface ResumeRunOptions {
  /** The ledger holding the run [~/.instructzero/runs.sqlite]: a file or a postgres:// URL. */
  store?: string;
  /** The run's function black box, when it used one. */
  blackBox?: BlackBoxFunction;
  /** The run's metric function, when it used one. */
  metric?: MetricFunction;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** New spending limits (e.g. to continue a run stopped by its budget); null removes one. */
  maxCalls?: number | null;
  maxCost?: number | null;
}

const CODE_ONLY = new Set(["examples", "store", "signal", "onProgress"]);

/**
 * Find the best instruction for a black box on a task. Creates a run in the ledger (or in memory with
 * `store: false`), runs it to its budget and returns the outcome; an aborted run comes back
 * "interrupted" and continues with {@link resumeRun}. Misspelt options are errors naming the field.
 */
export async function optimizeInstruction(options: OptimizeInstructionOptions): Promise<OptimizeResult> {
  if (options === null || typeof options !== "object")
    throw new UserError("optimizeInstruction(options): options must be an object");
  const { examples: rawExamples, blackBox, metric, store, signal, onProgress } = options;
  const runOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options))
    if (!CODE_ONLY.has(k) && k !== "blackBox" && k !== "metric") runOptions[k] = v;

  const examples = rawExamples === undefined ? undefined : examplesFromObjects(rawExamples, "examples");
  if (examples && options.task !== undefined && /\.(jsonl|csv)$/i.test(options.task)) {
    throw new UserError("give either examples or a task file, not both");
  }
  if (!examples && options.task === undefined)
    throw new UserError("optimizeInstruction: give `examples` or `task`");
  runOptions.task = options.task ?? "examples";

  const blackBoxFunction = typeof blackBox === "function" ? blackBox : undefined;
  if (typeof blackBox === "string") runOptions.blackBox = blackBox;
  else if (blackBox !== undefined && !blackBoxFunction)
    throw new UserError("blackBox must be a provider:model id, a module file or a function");

  let metricFunction: MetricFunction | undefined;
  if (typeof metric === "function") metricFunction = metric;
  else if (typeof metric === "string") runOptions.metric = metric;
  else if (metric !== undefined) {
    if ((metric as JudgeMetric).kind !== "judge")
      throw new UserError("metric must be a name, a function or judgeMetric(...)");
    runOptions.metric = `${JUDGE_PREFIX}${metric.model}`;
    runOptions.rubric = metric.rubric;
  }
  if (store === false && runOptions.cache === undefined) runOptions.cache = false;

  const config = makeRunConfig(runOptions as RunOptions, {
    examplesHash: examples ? examplesSha256(examples) : undefined,
    blackBoxFunction: blackBoxFunction !== undefined,
    metricFunction: metricFunction !== undefined,
  });
  // the task is checked before the run exists; the black box and metric open before it is recorded
  const session = await RunSession.open({
    config,
    examples,
    store,
    signal,
    onProgress,
    blackBoxFunction,
    metricFunction,
  });
  try {
    return toResult(await session.run(), session);
  } finally {
    await session.close();
  }
}

/**
 * Continue an interrupted (or budget-stopped) run exactly as the CLI's `resume` does: same
 * instructions, scores and choice as an uninterrupted run with the same seed. A run that used a function
 * black box or metric function needs them again; a changed module file is refused.
 */
export async function resumeRun(runId: string, options: ResumeRunOptions = {}): Promise<OptimizeResult> {
  // new limits are stored only once the run's black box, metric and generator opened
  const session = await RunSession.open({
    runId,
    store: options.store,
    limits: { maxCalls: options.maxCalls, maxCost: options.maxCost },
    signal: options.signal,
    onProgress: options.onProgress,
    blackBoxFunction: options.blackBox,
    metricFunction: options.metric,
  });
  try {
    return toResult(await session.run(), session);
  } finally {
    await session.close();
  }
}

/**
 * The library's result of a run outcome: THE one result shape (also what the CLI's `optimize --json`
 * and `resume --json` print; docs/result-format.md).
 */
export function optimizeResultOf(
  o: RunOutcome,
  session: Pick<RunSession, "config" | "ledger">,
): OptimizeResult {
  return toResult(o, session);
}

function toResult(o: RunOutcome, session: Pick<RunSession, "config" | "ledger">): OptimizeResult {
  const config = session.config;
  const validation = session.ledger.getExamples(o.runId, "validation") ?? [];
  const warnings: string[] = [...(o.notes ?? [])];
  if (config.target.startsWith("function:") && !config.blackBoxId && !config.blackBoxModule) {
    warnings.push("the black box is a function without blackBoxId: its answers were not cached");
  }
  if (o.status === "failed" || o.status === "running") throw new Error(`run ${o.runId} ended ${o.status}`);
  return {
    runId: o.runId,
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
    best: o.best
      ? {
          index: o.best.index,
          instruction: o.best.instruction,
          ...(o.best.demos ? { demos: o.best.demos } : {}),
          validationScore: o.best.score,
          testScore: o.test?.score ?? null,
        }
      : null,
    evaluations: o.evaluations.map((r) => candidateOf(r, validation)),
    test: o.test,
    totals: o.totals,
    config,
    warnings,
    ...(o.selection ? { selection: o.selection } : {}),
    ...(o.baselines ? { baselines: o.baselines } : {}),
    ...(o.comparisons ? { comparisons: o.comparisons } : {}),
    ...(o.verdict ? { verdict: o.verdict } : {}),
  };
}

function candidateOf(
  r: EvaluationRecord,
  validation: { input: string; answers: string[] }[],
): CandidateResult {
  return {
    index: r.index,
    iteration: r.iteration,
    instruction: r.instruction,
    ...(r.demos ? { demos: r.demos } : {}),
    score: r.score,
    reused: r.reused,
    examples: r.scores.map((score, i) => ({
      input: validation[i]?.input ?? "",
      answers: validation[i]?.answers ?? [],
      output: r.outputs[i],
      score,
      ...(r.feedback?.[i] != null ? { feedback: r.feedback[i]! } : {}),
    })),
  };
}
