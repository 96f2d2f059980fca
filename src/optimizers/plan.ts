import { estimateCost, type PriceTable, resolvePrices } from "../blackbox/pricing.js";
import { JUDGE_MAX_TOKENS, renderJudgePrompt } from "../metrics/judge.js";
import { metricExample } from "../metrics/scorer.js";
import { minDetectableGain } from "../stats/power.js";
import type { RunConfig } from "../store/types.js";
import { renderQuery } from "../tasks/templates.js";
import type { Example, TaskSplits } from "../tasks/types.js";
import { apePrompt } from "./ape.js";
import { demoBaselineCount } from "./demo-baselines.js";
import { getMethod } from "./methods/index.js";
import { BASELINE_PILOT, lookAlpha, sequentialTestPlan, VERDICT_ALPHA } from "./phases/test-plan.js";
import { judgeModelOf } from "./run-config.js";
import type { RunLayout } from "./run-layout.js";
import { selectionCount } from "./select.js";
import { selectionRacePlan, selectionRaceWorstCase } from "./select-race.js";

/** Scoring calls per phase of a run. */
export interface PhaseCalls {
  /** Search candidates on the validation set. */
  validationCalls: number;
  /** Extra candidates (`initInstructions`) on the validation set. */
  initCalls: number;
  /** The top k on the selection split (and a migration's old candidates). */
  selectionCalls: number;
  /** Baselines on validation and test. */
  baselineCalls: number;
  /** The winner on the test split. */
  testCalls: number;
  /** A migration: the old run's top candidates on the test split. */
  oldCandidateCalls: number;
}

/** What a run will spend at most, estimated before spending anything (`--dry-run`). */
export interface RunPlan extends PhaseCalls {
  evaluations: number;
  /** Upper bound on black-box calls: every candidate on every validation example, extras, selection, baselines, test. */
  maxCalls: number;
  proposalCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Estimated dollars of the black box (0 for local models; null when the model has no known price). */
  costUsd: number | null;
  /** LLM-judge calls (one per scored answer) and their estimated tokens and dollars (0 without a judge). */
  judgeCalls: number;
  judgeInputTokens: number;
  judgeOutputTokens: number;
  judgeCostUsd: number | null;
  /** Black box + judge (null when either has no known price). */
  totalCostUsd: number | null;
  /** What the test split can detect (the power plan). */
  power: PowerPlan;
}

/** The power plan: the smallest gain over a baseline that the test split detects with 80% power. */
export interface PowerPlan {
  /** Test examples (0 without a test). */
  testExamples: number;
  /** Two-sided level of the comparison on them (0.05; the last look's under the adaptive verdict). */
  alpha: number;
  /** Per assumed baseline score, the smallest detectable gain (null: none, even a perfect score). */
  gains: { baseline: number; gain: number | null }[];
}

/** Baseline scores the plan is given for before any baseline is scored. */
export const POWER_BASELINES = [0.5, 0.7, 0.9] as const;

/**
 * The power plan of `testExamples` test examples over `baselines` (see stats/power.ts
 * minDetectableGain: two-sided at `alpha`, default 0.05, 80% power, conservative for paired scores).
 */
export function powerPlan(
  testExamples: number,
  baselines: readonly number[] = POWER_BASELINES,
  alpha = VERDICT_ALPHA,
): PowerPlan {
  return {
    testExamples,
    alpha,
    gains: baselines.map((baseline) => ({
      baseline,
      gain: testExamples >= 1 ? minDetectableGain(testExamples, baseline, { alpha }) : null,
    })),
  };
}

/**
 * The level a comparison on `n` of a run's `testExamples` test examples is made at: 0.05, or under the
 * adaptive verdict the level its sequential plan spends at the look of `n` examples (the last look by
 * default: the power plan of the whole split).
 */
export function comparisonAlpha(
  config: Pick<RunConfig, "postSearch">,
  testExamples: number,
  n = testExamples,
): number {
  return config.postSearch === "adaptive" ? lookAlpha(sequentialTestPlan(testExamples), n) : VERDICT_ALPHA;
}

/**
 * The power plan in words: "100 test examples detect (80% power) a gain of 0.19 over a baseline
 * scoring 0.50, 0.17 over 0.70, 0.11 over 0.90", with the level when it is not 0.05 ("(80% power at
 * level 0.018)": the adaptive verdict's last look).
 */
export function describePower(p: PowerPlan): string {
  if (p.testExamples < 1) return "no test split: no verdict";
  const gain = (g: number | null) => (g === null ? "none" : g.toFixed(2));
  const [first, ...rest] = p.gains;
  if (!first) return `${p.testExamples} test examples`;
  const level = p.alpha === VERDICT_ALPHA ? "" : ` at level ${Number(p.alpha.toFixed(4))}`;
  return (
    `${p.testExamples} test examples detect (80% power${level}) a gain of ${gain(first.gain)} over a baseline scoring ${first.baseline.toFixed(2)}` +
    rest.map((g) => `, ${gain(g.gain)} over ${g.baseline.toFixed(2)}`).join("")
  );
}

/** Rough token count (4 characters per token), the same rule for every provider. */
function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Every scoring query of a run: [examples, times, template, phase]. */
type QuerySets = [readonly Example[], number, "validation" | "test", keyof PhaseCalls][];

/** The LLM judge's share of a plan: one call per scored answer (none without a judge). */
function judgePlan(config: RunConfig, sets: QuerySets, prices: PriceTable) {
  const judgeModel = judgeModelOf(config);
  if (!judgeModel) return { calls: 0, input: 0, output: 0, cost: 0 as number | null };
  let input = 0;
  let n = 0;
  for (const [set, times] of sets) {
    n += times * set.length;
    for (const ex of set)
      input += times * tokens(renderJudgePrompt(config.rubric ?? "", metricExample(ex), ex.answers[0] ?? ""));
  }
  const output = n * Math.min(JUDGE_MAX_TOKENS, 40);
  const c = estimateCost(judgeModel, { inputTokens: input, outputTokens: output }, prices);
  return { calls: n, input, output, cost: c.priced ? c.costUsd : null };
}

/** A typical instruction length used for the estimate (tokens ~ 20). */
const TYPICAL_INSTRUCTION = "x".repeat(80);

/**
 * Estimate calls, tokens and dollars of a run laid out by `layoutRun` (its splits, selection split and
 * baselines; or bare splits, with the selection and baselines given in `options`). Calls are an upper
 * bound (repeated instructions are not re-queried and cached answers cost nothing); tokens use 4
 * characters per token and the answers' length (capped by the answer-token limit) for outputs; with
 * `targetDemos` every query's input includes its demonstrations.
 */
export function planRun(
  config: RunConfig,
  layout: RunLayout | TaskSplits,
  options: {
    skipTest?: boolean;
    env?: NodeJS.ProcessEnv;
    prices?: PriceTable;
    /** The selection split (see selectionSplit); none: no selection calls. */
    selection?: readonly Example[];
    /** Baselines scored (no instruction, human, the user's) [1 + the user's]. */
    baselines?: number;
  } = {},
): RunPlan {
  if ("splits" in layout) {
    options = { selection: layout.selection.examples, baselines: layout.baselines.length, ...options };
  }
  const splits = "splits" in layout ? layout.splits : layout;
  const prices = resolvePrices(options.prices, options.env ?? process.env);
  const maxTokens = Number(config.maxTokens ?? 64);
  // few-shot prompts: every query carries K demonstrations (the run's fixed ones; an estimate with demoSearch)
  const demos = "splits" in layout ? (layout.target?.demos ?? []) : [];
  const perQuery = (set: readonly Example[], template: "validation" | "test") => {
    let input = 0;
    let output = 0;
    for (const ex of set) {
      input += tokens(renderQuery(TYPICAL_INSTRUCTION, ex.input, template, demos));
      output += Math.min(maxTokens, tokens(ex.answers[0] ?? "") + 2);
    }
    return { input, output };
  };
  const test = options.skipTest ? [] : splits.test;
  const nBaselines = (options.baselines ?? 1 + config.baselines.length) + demoBaselineCount(config);
  const selection = config.selection === "fresh" ? (options.selection ?? []) : [];
  const adaptive = config.postSearch === "adaptive";
  // adaptive: the selection race's worst case (only its caps drop candidates), baselines on a
  // validation pilot (and at most the whole test split each, as full: the sequential test's worst case)
  const k = selectionCount(config);
  const selectionSets: QuerySets = adaptive
    ? selectionRaceWorstCase(k, selectionRacePlan(k, selection.length)).map((r, i, all) => [
        selection.slice(i === 0 ? 0 : all[i - 1].upTo, r.upTo),
        r.alive,
        "validation",
        "selectionCalls",
      ])
    : [[selection, selection.length > 0 ? selectionCount(config) : 0, "validation", "selectionCalls"]];
  const baselineValidation = adaptive ? splits.validation.slice(0, BASELINE_PILOT) : splits.validation;
  // every scoring query of the run: [examples, times, template]
  const sets: QuerySets = [
    [splits.validation, config.budget, "validation", "validationCalls"],
    [splits.validation, config.initInstructions.length, "validation", "initCalls"],
    ...selectionSets,
    [baselineValidation, nBaselines, "validation", "baselineCalls"],
    [test, nBaselines, "test", "baselineCalls"],
    [test, 1, "test", "testCalls"],
    [test, config.oldCandidates?.length ?? 0, "test", "oldCandidateCalls"],
  ];
  const calls: PhaseCalls = {
    validationCalls: 0,
    initCalls: 0,
    selectionCalls: 0,
    baselineCalls: 0,
    testCalls: 0,
    oldCandidateCalls: 0,
  };
  let inputTokens = 0;
  let outputTokens = 0;
  for (const [set, times, template, phase] of sets) {
    const q = perQuery(set, template);
    calls[phase] += times * set.length;
    inputTokens += times * q.input;
    outputTokens += times * q.output;
  }
  const proposalCalls = getMethod(config.method).proposalCalls(config);
  const demoPrompt = apePrompt(
    splits.promptGen.slice(0, 5).map((e) => ({ input: e.input, output: e.answers[0] })),
  );
  inputTokens += proposalCalls * tokens(demoPrompt);
  outputTokens += proposalCalls * 30;
  const full = estimateCost(config.target, { inputTokens, outputTokens }, prices);
  // provider batch APIs charge a fraction of the table price
  const cost = config.batchApi ? { ...full, costUsd: full.costUsd * config.batchPriceFactor } : full;
  const judge = judgePlan(config, sets, prices);
  const scoring = Object.values(calls).reduce((a, b) => a + b, 0);
  const own = cost.priced ? cost.costUsd : null;
  return {
    evaluations: config.budget,
    maxCalls: scoring + proposalCalls,
    ...calls,
    proposalCalls,
    inputTokens,
    outputTokens,
    costUsd: own,
    judgeCalls: judge.calls,
    judgeInputTokens: judge.input,
    judgeOutputTokens: judge.output,
    judgeCostUsd: judge.cost,
    totalCostUsd: own === null || judge.cost === null ? null : own + judge.cost,
    power: powerPlan(test.length, POWER_BASELINES, comparisonAlpha(config, test.length)),
  };
}
