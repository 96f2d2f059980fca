/**
 * `exportRun`: one run of the ledger as a self-describing, versioned JSON document (the format is
 * documented field by field in docs/run-format.md). The HTML report and `instructzero show` read it.
 */
import { zeroUsage } from "../blackbox/usage.js";
import type {
  BaselineResult,
  Comparison,
  OldCandidateResult,
  RunVerdict,
  SelectionResult,
} from "../optimizers/phases/results-types.js";
import type { TransferRow } from "../optimizers/transfer.js";
import { shipVerdict } from "../stats/verdict.js";
import { CHECKPOINT_KEYS, type Ledger } from "../store/ledger.js";
import { selectionScoreOf } from "../store/selection-score.js";
import type {
  EvaluationRecord,
  RunConfig,
  RunResult,
  RunStatus,
  RunTotals,
  TestResult,
} from "../store/types.js";
import type { Example } from "../tasks/types.js";
import { VERSION } from "../version.js";

/** Value of `RunExport.format`. */
export const RUN_EXPORT_FORMAT = "instructzero-run";
/** Current `RunExport.formatVersion`; bumped on any incompatible change. */
export const RUN_EXPORT_VERSION = 1;

/** One example's result for one instruction. `input`/`answers` are null when the run did not store them. */
export interface ExampleResult {
  input: string | null;
  answers: string[] | null;
  output: string;
  score: number;
  /** The metric's feedback (metric functions, LLM judges), when it gave one. */
  feedback?: string;
}

/** One distinct instruction of a run, with how often it was proposed. */
export interface InstructionSummary {
  instruction: string;
  /** Validation score (of its first evaluation; later proposals reuse it). */
  score: number;
  /** Index of its first evaluation. */
  firstIndex: number;
  /** Iteration of its first evaluation. */
  iteration: number;
  /** Evaluations that proposed it (1 = proposed once). */
  proposals: number;
}

/** One of a migration's old candidates (as stored) with the selection examples its selection score is over. */
export interface OldCandidateExport extends OldCandidateResult {
  /**
   * Selection examples `selection` is the mean over (null: not scored there), as in the migration table:
   * the adaptive selection race stops a clearly worse candidate after its first looks.
   */
  selectionN: number | null;
}

/** The exported run (format "instructzero-run", version 1). */
export interface RunExport {
  format: typeof RUN_EXPORT_FORMAT;
  formatVersion: typeof RUN_EXPORT_VERSION;
  /** "instructzero <version>" that wrote the export. */
  producer: string;
  run: {
    id: string;
    status: RunStatus;
    statusMessage: string | null;
    createdAt: string;
    updatedAt: string;
    finishedAt: string | null;
  };
  config: RunConfig;
  summary: {
    evaluations: number;
    distinctInstructions: number;
    /** Evaluations whose instruction had already been scored (not re-queried). */
    reusedEvaluations: number;
    /** Highest iteration number recorded (0 = initial design only). */
    iterations: number;
    /** Chosen evaluation: `finishRun`'s bestIndex, else the first evaluation with the highest score. */
    bestIndex: number | null;
    bestScore: number | null;
    testScore: number | null;
  };
  /** Final totals once the run completed ("final"), else sums over the evaluations ("evaluations"). */
  totals: RunTotals;
  totalsSource: "final" | "evaluations";
  best: {
    index: number;
    iteration: number;
    instruction: string;
    /** The demonstrations of the chosen prompt (few-shot runs), in the order they are shown. */
    demos?: { input: string; output: string }[];
    score: number;
    /** Per validation example, in the order of the record's scores/outputs. */
    validation: ExampleResult[];
    /** Test results of this instruction (completed runs with a test score only). */
    test: { score: number; low?: number; high?: number; examples: ExampleResult[] } | null;
  } | null;
  /** bestSoFar[i] = highest validation score among evaluations[0..i]. */
  bestSoFar: number[];
  /** Distinct instructions, best score first (ties: earliest first). */
  instructions: InstructionSummary[];
  /** Every evaluation, by index. */
  evaluations: EvaluationRecord[];
  /** Validation examples as stored with `setExamples(run, "validation", ...)`, or null. */
  validationExamples: Example[] | null;
  /** How the winner was chosen: the rule, and the top candidates' scores on the selection split. */
  selection: SelectionResult | null;
  /** The selection split's examples (fresh selection only), or null. */
  selectionExamples: Example[] | null;
  /** Baselines (no instruction, human, the user's) on validation and test. */
  baselines: BaselineResult[];
  /** The winner against each baseline on the test split, in numbers and words. */
  comparisons: Comparison[];
  /** Ship, don't ship or inconclusive, from the comparisons (null without a test score). */
  verdict: RunVerdict | null;
  /** A migration (`instructzero migrate`): the old run's top candidates on this run's model. */
  oldCandidates: OldCandidateExport[];
  /** The winner, top candidates and baselines on other black boxes (`instructzero transfer`). */
  transfer: TransferRow[];
  /** Notes on the data and the choice (a smaller validation set than asked for, a selection fallback ...). */
  notes: string[];
}

/** Export run `runId` (id or unique prefix) of `ledger`. */
export function exportRun(ledger: Ledger, runId: string): RunExport {
  const run = ledger.getRun(runId);
  const evaluations = ledger.evaluations(run.id);
  const validationExamples = ledger.getExamples(run.id, "validation");
  const testExamples = ledger.getExamples(run.id, "test");
  const result = run.result;

  const bestSoFar: number[] = [];
  let argmax: EvaluationRecord | null = null;
  for (const e of evaluations) {
    if (argmax === null || e.score > argmax.score) argmax = e;
    bestSoFar.push(argmax.score);
  }
  const chosen =
    (result ? evaluations.find((e) => e.index === result.bestIndex) : undefined) ?? argmax ?? null;

  const totals: RunTotals = result?.totals ?? sumTotals(evaluations);
  const instructions = summarizeInstructions(evaluations);
  const test = chosen && result?.test ? testBlock(result.test, testExamples) : null;

  return {
    format: RUN_EXPORT_FORMAT,
    formatVersion: RUN_EXPORT_VERSION,
    producer: `instructzero ${VERSION}`,
    run: {
      id: run.id,
      status: run.status,
      statusMessage: run.statusMessage,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      finishedAt: run.finishedAt,
    },
    config: run.config,
    summary: {
      evaluations: evaluations.length,
      distinctInstructions: instructions.length,
      reusedEvaluations: evaluations.filter((e) => e.reused).length,
      iterations: evaluations.reduce((m, e) => Math.max(m, e.iteration), 0),
      bestIndex: chosen?.index ?? null,
      bestScore: chosen?.score ?? null,
      testScore: result?.test?.score ?? null,
    },
    totals,
    totalsSource: result ? "final" : "evaluations",
    best: chosen
      ? {
          index: chosen.index,
          iteration: chosen.iteration,
          instruction: chosen.instruction,
          ...(chosen.demos ? { demos: chosen.demos } : {}),
          score: chosen.score,
          validation: exampleResultsOf(chosen, validationExamples),
          test,
        }
      : null,
    bestSoFar,
    instructions,
    evaluations,
    validationExamples,
    selection: result?.selection ?? null,
    selectionExamples: ledger.getExamples(run.id, "selection"),
    baselines: result?.baselines ?? [],
    comparisons: result?.comparisons ?? [],
    verdict: result?.verdict ?? verdictOfStored(result),
    oldCandidates: (result?.oldCandidates ?? []).map((c) => ({
      ...c,
      selectionN: selectionScoreOf(result?.selection, c.index).selectionN,
    })),
    transfer: ledger.getState<TransferRow[]>(run.id, CHECKPOINT_KEYS.transfer) ?? [],
    notes: result?.notes ?? [],
  };
}

/** An evaluation's result on each validation example it was scored on, joined with the examples. */
export function exampleResultsOf(
  e: Pick<EvaluationRecord, "scores" | "outputs" | "feedback">,
  validationExamples: readonly Example[] | null,
): ExampleResult[] {
  return e.scores.map((score, i) => ({
    input: validationExamples?.[i]?.input ?? null,
    answers: validationExamples?.[i]?.answers ?? null,
    output: e.outputs[i],
    score,
    ...(e.feedback?.[i] != null ? { feedback: e.feedback[i]! } : {}),
  }));
}

/** Sums of the evaluations' accounting fields (a run without final totals). */
function sumTotals(evaluations: EvaluationRecord[]): RunTotals {
  const t: RunTotals = {
    evaluations: evaluations.length,
    ...zeroUsage(),
    generationMs: 0,
    evaluationMs: 0,
  };
  for (const e of evaluations) {
    t.calls += e.calls;
    t.cacheHits += e.cacheHits;
    t.inputTokens += e.inputTokens;
    t.outputTokens += e.outputTokens;
    t.costUsd += e.costUsd;
    t.generationMs = (t.generationMs ?? 0) + e.generationMs;
    t.evaluationMs = (t.evaluationMs ?? 0) + e.evaluationMs;
  }
  return t;
}

/** Distinct instructions, best first. */
function summarizeInstructions(evaluations: EvaluationRecord[]): InstructionSummary[] {
  const byText = new Map<string, InstructionSummary>();
  for (const e of evaluations) {
    const seen = byText.get(e.instruction);
    if (seen) seen.proposals++;
    else {
      byText.set(e.instruction, {
        instruction: e.instruction,
        score: e.score,
        firstIndex: e.index,
        iteration: e.iteration,
        proposals: 1,
      });
    }
  }
  return [...byText.values()].sort((a, b) => b.score - a.score || a.firstIndex - b.firstIndex);
}

/** Test results joined with their inputs/answers (from the result, else the stored "test" examples). */
function testBlock(
  t: TestResult,
  examples: Example[] | null,
): { score: number; low?: number; high?: number; examples: ExampleResult[] } {
  return {
    score: t.score,
    ...(t.low !== undefined && t.high !== undefined ? { low: t.low, high: t.high } : {}),
    examples: t.scores.map((score, i) => ({
      input: t.inputs?.[i] ?? examples?.[i]?.input ?? null,
      answers: t.answers?.[i] ?? examples?.[i]?.answers ?? null,
      output: t.outputs[i],
      score,
      ...(t.feedback?.[i] != null ? { feedback: t.feedback[i]! } : {}),
    })),
  };
}

/** The verdict of a run stored before runs recorded one: computed from its comparisons. */
function verdictOfStored(result: RunResult | null | undefined): RunVerdict | null {
  if (!result?.test) return null;
  const n = result.test.scores.length;
  return shipVerdict((result.comparisons ?? []).map((c) => ({ ...c, n })));
}
