/**
 * A run's charts from its evaluations: the best-so-far chart (baselines as lines), the scores per
 * iteration and the cumulative cost. The one way to draw them: the static report and the live pages of
 * `instructzero ui` (which redraws them as evaluations arrive) both call these.
 */
import type { EvaluationRecord } from "../store/types.js";
import { type ChartBaseline, renderChart } from "./chart.js";
import { renderCostChart } from "./charts/cost.js";
import { type DistributionGroup, renderDistribution } from "./charts/distribution.js";
import { type FrontPoint, renderFrontChart } from "./charts/front.js";
import { renderSimilarityMap, type SimilarityPoint } from "./charts/similarity.js";

/** What a run chart needs of an evaluation (a full record, or the live pages' lighter rows). */
export type ChartEvaluation = Pick<
  EvaluationRecord,
  "index" | "iteration" | "score" | "reused" | "origin" | "empty" | "calls" | "costUsd" | "judge"
>;

/** bestSoFar[i] = highest score among evaluations[0..i]. */
export function bestSoFarOf(evaluations: readonly Pick<EvaluationRecord, "score">[]): number[] {
  const out: number[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const e of evaluations) {
    if (e.score > best) best = e.score;
    out.push(best);
  }
  return out;
}

/** The best-so-far chart (`svg#progress-chart`) of evaluations in index order. */
export function runProgressChart(
  evaluations: readonly ChartEvaluation[],
  baselines: readonly ChartBaseline[] = [],
  bestSoFar: readonly number[] = bestSoFarOf(evaluations),
): string {
  return renderChart({
    scores: evaluations.map((e) => e.score),
    bestSoFar: [...bestSoFar],
    iterations: evaluations.map((e) => e.iteration),
    reused: evaluations.map((e) => e.reused),
    init: evaluations.map((e) => e.origin === "init"),
    empty: evaluations.map((e) => Boolean(e.empty)),
    baselines: [...baselines],
  });
}

/** Evaluations grouped by iteration (the user's extra candidates apart). */
export function distributionGroups(evaluations: readonly ChartEvaluation[]): DistributionGroup[] {
  const groups = new Map<string, DistributionGroup>();
  for (const e of evaluations) {
    const key = e.origin === "init" ? "extra" : e.iteration === 0 ? "initial" : String(e.iteration);
    const g = groups.get(key) ?? { label: key, scores: [], reused: [] };
    g.scores.push(e.score);
    g.reused!.push(e.reused);
    groups.set(key, g);
  }
  const order = (k: string) => (k === "initial" ? -1 : k === "extra" ? Number.MAX_SAFE_INTEGER : Number(k));
  return [...groups.entries()].sort((a, b) => order(a[0]) - order(b[0])).map(([, g]) => g);
}

/** The scores-per-iteration chart (`svg#distribution-chart`). */
export function runDistributionChart(evaluations: readonly ChartEvaluation[]): string {
  return renderDistribution(distributionGroups(evaluations));
}

/** The cumulative cost chart (`svg#cost-chart`). */
export function runCostChart(evaluations: readonly ChartEvaluation[]): string {
  return renderCostChart({
    costUsd: evaluations.map((e) => e.costUsd),
    judgeCostUsd: evaluations.map((e) => e.judge?.costUsd ?? 0),
    calls: evaluations.map((e) => e.calls),
  });
}

/** Instructions drawn on the similarity map: the best this many. */
export const SIMILARITY_TOP = 500;

/**
 * The similarity map (`svg#similarity-map`) of a run's distinct instructions (best first, the best
 * {@link SIMILARITY_TOP}), placed by the soft prompt of their first evaluation.
 */
export function runSimilarityMap(
  instructions: readonly { instruction: string; score: number; firstIndex: number }[],
  zOf: (index: number) => readonly number[] | null,
  chosenIndex: number | null,
): string {
  const points: SimilarityPoint[] = instructions.slice(0, SIMILARITY_TOP).map((s) => ({
    instruction: s.instruction,
    score: s.score,
    index: s.firstIndex,
    z: zOf(s.firstIndex),
    chosen: s.firstIndex === chosenIndex,
  }));
  return renderSimilarityMap(points);
}

/**
 * The accuracy-vs-cost front (`svg#front-chart`): every distinct, fully scored candidate with a known
 * cost (its first evaluation), the chosen one ringed, and the baselines with a known cost.
 */
export function runFrontChart(
  evaluations: readonly Pick<
    EvaluationRecord,
    "index" | "instruction" | "score" | "reused" | "empty" | "scored" | "usdPer1k"
  >[],
  baselines: readonly { name: string; validation: { score: number }; usdPer1k?: number }[],
  chosenIndex: number | null,
): string {
  const points: FrontPoint[] = [];
  for (const e of evaluations) {
    if (e.reused || e.empty || e.scored !== undefined || e.usdPer1k === undefined) continue;
    points.push({
      index: e.index,
      score: e.score,
      usdPer1k: e.usdPer1k,
      label: e.instruction,
      chosen: e.index === chosenIndex,
    });
  }
  for (const b of baselines)
    if (b.usdPer1k !== undefined)
      points.push({
        index: -1,
        score: b.validation.score,
        usdPer1k: b.usdPer1k,
        label: b.name,
        baseline: true,
      });
  return renderFrontChart(points);
}
