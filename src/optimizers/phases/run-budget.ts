/**
 * A run's call budget: its limits, what earlier sessions spent (the spend log), and what the phases
 * after the search may cost at most, kept aside so that a limit stops the search, not the result.
 */

import type { RunConfig } from "../../config/schema.js";
import { JUDGE_MAX_TOKENS, renderJudgePrompt } from "../../metrics/judge.js";
import { metricExample } from "../../metrics/scorer.js";
import type { Ledger } from "../../store/ledger.js";
import { renderQuery } from "../../tasks/templates.js";
import type { Demo, Example } from "../../tasks/types.js";
import { type BudgetedBlackBox, RunBudget } from "../budget.js";
import { demoBaselineCount } from "../demo-baselines.js";
import type { RunLayout } from "../run-layout.js";
import { selectionCount } from "../select.js";
import { selectionRacePlan, selectionRaceWorstCase } from "../select-race.js";
import { BASELINE_PILOT } from "./test-plan.js";

/**
 * The budget of a run's session: its limits, less what every earlier session paid (requests a dead
 * session left in flight are first counted as paid: worst case); every paid request goes to the spend log.
 * `fence`: the run lock, checked before every admission (a process that lost it admits nothing more).
 */
export function openRunBudget(
  ledger: Ledger,
  runId: string,
  config: RunConfig,
  fence?: { check(): void },
): RunBudget {
  ledger.markLostSpend(runId);
  const spentBefore = Object.values(ledger.spendBySource(runId));
  return new RunBudget(
    { maxCalls: config.maxCalls, maxCost: config.maxCost },
    {
      calls: spentBefore.reduce((a, x) => a + x.calls, 0),
      costUsd: spentBefore.reduce((a, x) => a + x.costUsd, 0),
    },
    {
      open: (entry) => ledger.openSpend(runId, entry),
      close: (id, paid) => ledger.closeSpend(runId, id, paid),
      abandon: (id) => ledger.abandonSpend(runId, id),
    },
    fence,
  );
}

/**
 * Keep what the phases after the search (init candidates, selection, baselines, test, a migration's old
 * candidates) may cost.
 */
export function keepForAfterSearch(
  budget: RunBudget,
  config: RunConfig,
  layout: RunLayout,
  runTest: boolean,
  boxes: { blackBox: BudgetedBlackBox; judge: BudgetedBlackBox | undefined },
): void {
  const { splits, selection, baselines } = layout;
  const adaptive = config.postSearch === "adaptive";
  // adaptive: the selection race's worst case (only the caps drop candidates), baselines on a
  // validation pilot; the sequential test at most scores everybody on the whole test split
  const k = selectionCount(config);
  const selectionQueries = adaptive
    ? selectionRaceWorstCase(k, selectionRacePlan(k, selection.examples.length)).flatMap((r, i, all) =>
        Array.from({ length: r.alive }, () =>
          selection.examples.slice(i === 0 ? 0 : all[i - 1].upTo, r.upTo),
        ).flat(),
      )
    : Array.from({ length: selectionCount(config) }, () => selection.examples).flat();
  const baselineValidation = adaptive ? splits.validation.slice(0, BASELINE_PILOT) : splits.validation;
  const after = [
    ...config.initInstructions.flatMap(() => splits.validation),
    ...(selection.examples.length ? selectionQueries : []),
    // a migration's old candidates on the test split (they are among the selection's candidates too)
    ...(config.oldCandidates ?? []).flatMap(() => (runTest ? splits.test : [])),
    ...[...baselines, ...Array(demoBaselineCount(config)).fill(null)].flatMap(() => [
      ...baselineValidation,
      ...(runTest ? splits.test : []),
    ]),
    ...(runTest ? splits.test : []),
  ];
  const worst = worstCaseOf(after, config, boxes.blackBox, boxes.judge, worstDemos(layout, config));
  budget.keep(worst.calls, worst.costUsd);
}

/**
 * The longest demonstrations a query after the search may carry: the run's fixed ones, or with
 * `demoSearch` (any set of the pool may win) the K longest of the demo pool.
 */
export function worstDemos(layout: RunLayout, config: RunConfig): Demo[] {
  const k = layout.target.demos.length;
  if (!config.demoSearch || k === 0) return layout.target.demos;
  const size = (d: Demo) => d.input.length + d.output.length;
  return [...layout.target.pool].sort((a, b) => size(b) - size(a)).slice(0, k);
}

/**
 * What the phases after the search may cost at most: one black-box query per example (and one judge
 * call) with an instruction of up to 4 KB (the longest a generator or proposer writes is far shorter).
 */
function worstCaseOf(
  examples: readonly Example[],
  config: { maxTokens: number; rubric?: string },
  blackBox: BudgetedBlackBox,
  judge: BudgetedBlackBox | undefined,
  demos: readonly Demo[],
): { calls: number; costUsd: number } {
  const instruction = "x".repeat(4096);
  let costUsd = 0;
  for (const ex of examples) {
    costUsd += blackBox.worstCase({
      prompt: renderQuery(instruction, ex.input, "test", demos),
      maxTokens: config.maxTokens,
    });
    if (judge) {
      // the judge sees the rubric, the example and an answer of at most maxTokens tokens (<= 16 bytes each)
      const answer = "x".repeat(16 * config.maxTokens);
      const prompt = renderJudgePrompt(config.rubric ?? "", metricExample(ex), answer);
      costUsd += judge.worstCase({ prompt, maxTokens: JUDGE_MAX_TOKENS });
    }
  }
  return { calls: examples.length * (judge ? 2 : 1), costUsd };
}
