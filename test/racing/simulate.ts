/**
 * A simulated search for the racing tests: how often does racing change the chosen instruction?
 *
 * One simulated run: `candidates` instructions of close quality are scored in order on `validation`
 * examples, and the top `topK` are re-scored on `selection` fresh examples. Scores are correlated
 * across instructions through a per-example difficulty (as real instructions share hard examples):
 * the probability of success of instruction j on example i is sigmoid(q_j - h_i), with q_j drawn from
 * N(0.8, 0.6^2) and h_i from N(0, 1). 0/1 scores are Bernoulli draws of it; graded scores are it plus
 * N(0, 0.15^2) noise, clipped to [0, 1] and rounded to 0.01 (like f1 or judge scores). The run is
 * scored twice on the same draws: without racing (every candidate fully scored) and with racing
 * (racing.ts's rules, blocks of `block`, level `alpha`, guarding rank `rank`), and the winner is
 * chosen by select.ts's rules among fully scored candidates (as phases/selection.ts does).
 */
import { blocksOf, incumbentOf, raceDecision } from "../../src/optimizers/racing.js";
import { type SelectionRule, selectWinner, topDistinct } from "../../src/optimizers/select.js";
import { Rng } from "../../src/util/rng.js";

export interface SimOptions {
  scores: "binary" | "graded";
  rule: SelectionRule;
  /** Rank guarded by racing (racingRank: topK under fresh, 1 under validation). */
  rank: number;
  runs: number;
  seed: number;
  candidates?: number;
  validation?: number;
  selection?: number;
  topK?: number;
  block?: number;
  alpha?: number;
}

export interface SimResult {
  /** Share of runs whose chosen instruction differs with racing. */
  changed: number;
  /** Share of validation queries racing saved. */
  saved: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface Rec {
  index: number;
  instruction: string;
  score: number;
  scores: number[];
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Rates over `runs` seeded simulated runs (deterministic). */
export function simulateRacing(o: SimOptions): SimResult {
  const nc = o.candidates ?? 30;
  const nv = o.validation ?? 20;
  const ns = o.selection ?? 50;
  const k = o.topK ?? 5;
  const block = o.block ?? 5;
  const alpha = o.alpha ?? 0.01;
  const rng = new Rng(o.seed);
  let changed = 0;
  let saved = 0;
  for (let run = 0; run < o.runs; run++) {
    const hv = Array.from({ length: nv }, () => rng.normal());
    const hs = Array.from({ length: ns }, () => rng.normal());
    const q = Array.from({ length: nc }, () => 0.8 + 0.6 * rng.normal());
    const draw = (p: number) =>
      o.scores === "binary"
        ? rng.uniform() < p
          ? 1
          : 0
        : Math.round(100 * Math.min(1, Math.max(0, p + 0.15 * rng.normal()))) / 100;
    const val = q.map((qj) => hv.map((h) => draw(sigmoid(qj - h))));
    const sel = q.map((qj) => meanOf(hs.map((h) => draw(sigmoid(qj - h)))));
    const choose = (records: readonly Rec[]) => {
      const full = records.filter((r) => r.scores.length >= nv);
      if (o.rule === "validation")
        return selectWinner(
          full.map((r) => ({ index: r.index, validationScore: r.score })),
          "validation",
        ).index;
      const top = topDistinct(full, k);
      return selectWinner(
        top.map((i) => ({ index: i, validationScore: records[i].score, selectionScore: sel[i] })),
        "fresh",
      ).index;
    };
    const plain: Rec[] = val.map((s, j) => ({ index: j, instruction: `c${j}`, score: meanOf(s), scores: s }));
    const raced: Rec[] = [];
    let queries = 0;
    for (let j = 0; j < nc; j++) {
      const incumbent = incumbentOf(raced, nv, o.rank);
      const scores: number[] = [];
      for (const [a, b] of blocksOf(nv, block)) {
        if (a > 0 && raceDecision(scores, incumbent, nv, alpha)) break;
        scores.push(...val[j].slice(a, b));
      }
      queries += scores.length;
      raced.push({ index: j, instruction: `c${j}`, score: meanOf(scores), scores });
    }
    if (choose(plain) !== choose(raced)) changed++;
    saved += 1 - queries / (nc * nv);
  }
  return { changed: changed / o.runs, saved: saved / o.runs };
}
