/**
 * Winner's curse benchmark for the final selection step (prints tables; not a test).
 *
 * A simulated black box: every instruction has a latent (true) accuracy, and its answer on each
 * example is right with that probability, drawn independently per example (seeded). One simulated
 * run per seed:
 *   - 150 candidates; each is a new instruction with latent accuracy ~ Beta(a, b) or, with
 *     probability --duplicates, a repeat of an earlier candidate's instruction (same accuracy, scores
 *     reused as the optimiser does), so the top k has to skip duplicates;
 *   - every distinct instruction scored on 20 validation examples (0/1);
 *   - the top k = 5 distinct instructions by validation score (`topDistinct`) re-scored on a fresh
 *     selection split of 50 examples;
 *   - the winner chosen by `selectWinner(..., "validation")` (the paper's rule: validation argmax), by
 *     `selectWinner(..., "fresh")` (highest selection score: `--post-search full`), both from
 *     src/optimizers/select.ts, and by the selection race (`--post-search adaptive`, the default:
 *     src/optimizers/select-race.ts) on prefixes of the same selection scores;
 *   - the phases after the search of both post-search rules: baselines (no instruction and a human
 *     instruction), the test split (100 examples) and the verdict, through the run's functions
 *     (phases/test-plan.ts, phases/results.ts), every call counted.
 * Reported over seeds: the TRUE accuracy of the chosen instruction (mean ± s.e., median), the score it
 * was chosen on and how far that overstates its true accuracy (the winner's curse), and how often each
 * rule picks the truly best of the top k; every call after the search and the verdicts of both
 * post-search rules; then the paired comparisons of the rules' true accuracies over seeds (src/stats:
 * win/tie/loss, mean difference, a paired bootstrap interval).
 *
 * Usage: npm run bench:selection -- [--seeds 50] [--first-seed 0] [--candidates 150] [--validation-size 20]
 *        [--k 5] [--selection-size 50] [--beta 2,3/8,3] [--duplicates 0.2]
 * (--beta: one or more "a,b" latent-accuracy distributions separated by "/", one table each.)
 */
import { loadavg } from "node:os";
import { compareWithBaselines, verdictOf } from "../src/optimizers/phases/results.js";
import type { BaselineResult } from "../src/optimizers/phases/results-types.js";
import {
  BASELINE_PILOT,
  runSequentialTest,
  sequentialTestPlan,
  type TestPlan,
} from "../src/optimizers/phases/test-plan.js";
import { type SelectionCandidate, selectWinner, topDistinct } from "../src/optimizers/select.js";
import { type RaceCandidate, selectionRacePlan, selectionRaceStep } from "../src/optimizers/select-race.js";
import {
  compareScores,
  describeComparison,
  meanStdErr,
  type ShipWord,
  winTieLoss,
} from "../src/stats/index.js";
import { Rng, seedFor } from "../src/util/rng.js";

interface Params {
  seeds: number;
  firstSeed: number;
  candidates: number;
  validation: number;
  k: number;
  selection: number;
  betas: [number, number][];
  duplicates: number;
}

interface SeedResult {
  /** True accuracy of the instruction chosen by each rule. */
  trueVal: number;
  trueFresh: number;
  trueRace: number;
  /** Selection-split calls of the selection race (the full rule: k x selection size). */
  raceCalls: number;
  /** Every call after the search (selection, baselines, test) of each protocol, and its verdict. */
  fullCalls: number;
  adaptiveCalls: number;
  fullVerdict: ShipWord;
  adaptiveVerdict: ShipWord;
  /** Validation score of each choice; selection score of the fresh choice. */
  valScoreVal: number;
  valScoreFresh: number;
  selScoreFresh: number;
  /** Whether each rule chose the truly best instruction of the top k. */
  bestVal: boolean;
  bestFresh: boolean;
  /** True accuracy of the best of the top k, and of the best distinct instruction of the run. */
  bestTopK: number;
  bestAll: number;
  distinct: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.has("help")) {
    console.log(
      "npm run bench:selection -- [--seeds 50] [--first-seed 0] [--candidates 150] [--validation-size 20] [--k 5] [--selection-size 50] [--beta 2,3/8,3] [--duplicates 0.2]",
    );
    return;
  }
  const p: Params = {
    seeds: int(args, "seeds", 50),
    firstSeed: int(args, "first-seed", 0),
    candidates: int(args, "candidates", 150),
    validation: int(args, "validation-size", 20),
    k: int(args, "k", 5),
    selection: int(args, "selection-size", 50),
    betas: (args.get("beta") ?? "2,3/8,3").split("/").map((s) => {
      const [a, b] = s.split(",").map(Number);
      if (!(a > 0 && b > 0)) throw new Error(`--beta: expected "a,b" with a, b > 0, got "${s}"`);
      return [a, b] as [number, number];
    }),
    duplicates: Number(args.get("duplicates") ?? 0.2),
  };
  if (!(p.duplicates >= 0 && p.duplicates < 1)) throw new Error("--duplicates must be in [0, 1)");
  if (p.seeds < 1 || p.candidates < 1 || p.validation < 1 || p.k < 1 || p.selection < 1)
    throw new Error("--seeds, --candidates, --validation-size, --k and --selection-size must be >= 1");

  const t0 = performance.now();
  const betaFlag = p.betas.map(([a, b]) => `${a},${b}`).join("/");
  console.log(
    `command: npm run bench:selection -- --seeds ${p.seeds} --first-seed ${p.firstSeed} --candidates ${p.candidates}` +
      ` --validation-size ${p.validation} --k ${p.k} --selection-size ${p.selection} --beta ${betaFlag} --duplicates ${p.duplicates}`,
  );
  console.log(
    `parameters: seeds ${p.firstSeed}..${p.firstSeed + p.seeds - 1}; ${p.candidates} candidates per run ` +
      `(each a repeat of an earlier instruction with probability ${p.duplicates}); ${p.validation} validation ` +
      `examples (0/1); top k = ${p.k} distinct by validation re-scored on ${p.selection} fresh selection ` +
      `examples; latent accuracy ~ ${p.betas.map(([a, b]) => `Beta(${a},${b})`).join(", ")}; answers ` +
      `drawn independently per example`,
  );
  console.log(
    `load average (1/5/15 min): ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );

  for (const [a, b] of p.betas) {
    const results: SeedResult[] = [];
    for (let s = p.firstSeed; s < p.firstSeed + p.seeds; s++) results.push(await simulate(p, a, b, s));
    report(p, a, b, results);
  }
  console.log(`\nwall time ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}

/** One simulated run: returns what each selection rule chose and how good it truly is. */
async function simulate(p: Params, a: number, b: number, seed: number): Promise<SeedResult> {
  const tag = `bench:selection:${a},${b}`;
  const candRng = new Rng(seedFor(seed, `${tag}:candidates`));
  const valRng = new Rng(seedFor(seed, `${tag}:validation`));
  const selRng = new Rng(seedFor(seed, `${tag}:selection`));

  // Distinct instructions: latent accuracy and validation scores (drawn once, reused by repeats).
  const accuracy: number[] = [];
  const valScore: number[] = [];
  const records: { index: number; instruction: string; score: number }[] = [];
  const instructionOf: number[] = [];
  for (let i = 0; i < p.candidates; i++) {
    let inst: number;
    if (i > 0 && candRng.uniform() < p.duplicates) inst = instructionOf[candRng.int(0, i - 1)];
    else {
      inst = accuracy.length;
      accuracy.push(sampleBeta(candRng, a, b));
      valScore.push(meanOfDraws(valRng, accuracy[inst], p.validation));
    }
    instructionOf.push(inst);
    records.push({ index: i, instruction: `instruction ${inst}`, score: valScore[inst] });
  }

  const top = topDistinct(records, p.k);
  const candidates: SelectionCandidate[] = top.map((index) => {
    const inst = instructionOf[index];
    const scores = Array.from({ length: p.selection }, () => (selRng.uniform() < accuracy[inst] ? 1 : 0));
    return { index, validationScore: valScore[inst], selectionScores: scores };
  });
  const byVal = selectWinner(candidates, "validation").index;
  const byFresh = selectWinner(candidates, "fresh").index;
  const race = raceWinner(candidates, p.validation);
  const verdicts = await simulateVerdicts(p, a, b, seed, {
    full: { accuracy: accuracy[instructionOf[byFresh]] },
    adaptive: {
      accuracy: accuracy[instructionOf[race.index]],
      selectionScore: race.score,
    },
  });
  if (byVal !== top[0])
    throw new Error(`seed ${seed}: validation rule disagrees with topDistinct's first pick`);

  const acc = (index: number) => accuracy[instructionOf[index]];
  const bestTopK = Math.max(...top.map(acc));
  const freshCand = candidates.find((c) => c.index === byFresh)!;
  const sel = freshCand.selectionScores!;
  return {
    trueVal: acc(byVal),
    trueFresh: acc(byFresh),
    trueRace: acc(race.index),
    raceCalls: race.calls,
    fullCalls: p.k * p.selection + verdicts.full.calls,
    adaptiveCalls: race.calls + verdicts.adaptive.calls,
    fullVerdict: verdicts.full.verdict,
    adaptiveVerdict: verdicts.adaptive.verdict,
    valScoreVal: valScore[instructionOf[byVal]],
    valScoreFresh: valScore[instructionOf[byFresh]],
    selScoreFresh: sel.reduce((x, y) => x + y, 0) / sel.length,
    bestVal: acc(byVal) === bestTopK,
    bestFresh: acc(byFresh) === bestTopK,
    bestTopK,
    bestAll: Math.max(...accuracy),
    distinct: accuracy.length,
  };
}

function report(p: Params, a: number, b: number, rs: SeedResult[]): void {
  const n = rs.length;
  const col = (f: (r: SeedResult) => number) => rs.map(f);
  const ms = (xs: number[]) => {
    const m = meanStdErr(xs);
    return `${m.mean.toFixed(3)} ± ${Number.isNaN(m.stdErr) ? "n/a" : m.stdErr.toFixed(3)}`;
  };
  const ms4 = (xs: number[]) => {
    const m = meanStdErr(xs);
    return `${m.mean.toFixed(4)} ± ${Number.isNaN(m.stdErr) ? "n/a" : m.stdErr.toFixed(4)}`;
  };
  const med = (xs: number[]) => median(xs).toFixed(3);
  const pct = (k: number) => `${k}/${n} (${((100 * k) / n).toFixed(0)}%)`;
  const distinct = meanStdErr(col((r) => r.distinct)).mean;

  console.log(
    `\n## Latent accuracy ~ Beta(${a},${b}): ${n} seeds, ${distinct.toFixed(1)} distinct instructions per run on average`,
  );
  console.log(
    "| rule | selection calls | true accuracy of the chosen (mean ± s.e.) | median | validation score of the chosen | validation - true (winner's curse) | selection score - true | picks the truly best of the top k |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  const tv = col((r) => r.trueVal);
  const tf = col((r) => r.trueFresh);
  const vv = col((r) => r.valScoreVal);
  const vf = col((r) => r.valScoreFresh);
  const sf = col((r) => r.selScoreFresh);
  const minus = (xs: number[], ys: number[]) => ms(xs.map((x, i) => x - ys[i]));
  console.log(
    `| validation argmax (the paper's rule, --selection validation) | 0 | ${ms(tv)} | ${med(tv)} | ${ms(vv)} | ${minus(vv, tv)} | - | ` +
      `${pct(rs.filter((r) => r.bestVal).length)} |`,
  );
  console.log(
    `| fresh selection (top ${p.k} on ${p.selection} ex.; --post-search full) | ${p.k * p.selection} | ${ms(tf)} | ${med(tf)} | ${ms(vf)} | ${minus(vf, tf)} | ` +
      `${minus(sf, tf)} | ${pct(rs.filter((r) => r.bestFresh).length)} |`,
  );
  const th = col((r) => r.trueRace);
  console.log(
    `| selection race (--post-search adaptive, the default) | ${ms(col((r) => r.raceCalls))} | ${ms(th)} | ${med(th)} | | | | ` +
      `${pct(rs.filter((r) => r.trueRace === r.bestTopK).length)} |`,
  );
  const bk = col((r) => r.bestTopK);
  const ba = col((r) => r.bestAll);
  console.log(`| (oracle) truly best of the top ${p.k} | | ${ms(bk)} | ${med(bk)} | | | | ${pct(n)} |`);
  console.log(`| (oracle) truly best of the run | | ${ms(ba)} | ${med(ba)} | | | | |`);
  const wtlH = winTieLoss(
    rs.map((r) => [r.trueRace, r.trueFresh]),
    0,
  );
  const words = (f: (r: SeedResult) => ShipWord) =>
    (["ship", "don't ship", "inconclusive"] as const)
      .map((w) => `${w} ${rs.filter((r) => f(r) === w).length}`)
      .join(", ");
  console.log(
    `\nEvery call after the search (selection, baselines no instruction + human, test; mean ± s.e. per run): ` +
      `full ${ms(col((r) => r.fullCalls))} (verdicts: ${words((r) => r.fullVerdict)}); ` +
      `adaptive ${ms(col((r) => r.adaptiveCalls))} (verdicts: ${words((r) => r.adaptiveVerdict)}); ` +
      `adaptive median ${med(col((r) => r.adaptiveCalls))}, max ${Math.max(...col((r) => r.adaptiveCalls))}`,
  );
  console.log(
    `race vs full fresh selection, true accuracy per seed: ${wtlH.win} win / ${wtlH.tie} tie / ${wtlH.loss} loss; ` +
      `mean difference ${ms4(th.map((x, i) => x - tf[i]))}`,
  );

  const wtl = winTieLoss(
    rs.map((r) => [r.trueFresh, r.trueVal]),
    0,
  );
  const cmp = compareScores(tf, tv, { seed: seedFor(p.firstSeed, `bench:selection:compare:${a},${b}`) });
  console.log(
    `fresh vs validation argmax, true accuracy per seed: ${wtl.win} win / ${wtl.tie} tie (same instruction) / ${wtl.loss} loss; ` +
      `fresh selection is ${describeComparison(cmp, "validation argmax", 3)} (paired bootstrap over seeds)`,
  );
}

/**
 * The adaptive rule (`postSearch: "adaptive"`): the selection race on prefixes of the same selection
 * scores (src/optimizers/select-race.ts selectionRacePlan and selectionRaceStep, as
 * phases/selection.ts runs it). `validation`: validation examples behind each validation score.
 */
function raceWinner(
  candidates: readonly SelectionCandidate[],
  validation: number,
): { index: number; calls: number; score: number } {
  const m = candidates[0]?.selectionScores?.length ?? 0;
  const plan = selectionRacePlan(candidates.length, m);
  const full = new Map(candidates.map((c) => [c.index, c.selectionScores!]));
  const at = (c: SelectionCandidate, n: number): RaceCandidate => ({
    index: c.index,
    validationScore: c.validationScore,
    validationCount: validation,
    selectionScores: full.get(c.index)!.slice(0, n),
  });
  let calls = 0;
  let step = selectionRaceStep(
    candidates.map((c) => at(c, 0)),
    plan,
  );
  while (step.upTo !== null) {
    const upTo = step.upTo;
    calls += step.alive.reduce((sum, c) => sum + (upTo - c.selectionScores.length), 0);
    step = selectionRaceStep(
      step.alive.map((c) => at(c, upTo)),
      plan,
    );
  }
  const s = step.alive[0].selectionScores;
  return { index: step.alive[0].index, calls, score: s.reduce((x, y) => x + y, 0) / s.length };
}

/**
 * The baselines and the test phase of both protocols for one simulated run, through the run's own
 * functions. Baselines: no instruction (true accuracy ~ Beta(1, 12)) and a human-written instruction
 * (the better of two draws from the candidates' distribution). full: each baseline on 20 validation and
 * 100 test examples, the winner on 100 test examples, compared at 0.05; adaptive: each baseline on a
 * pilot of BASELINE_PILOT validation examples, then the sequential test (src/optimizers/phases/
 * test-plan.ts runSequentialTest) on the same test draws. The verdict: compareWithBaselines and
 * verdictOf (src/optimizers/phases/results.ts), as the run records it.
 */
async function simulateVerdicts(
  p: Params,
  a: number,
  b: number,
  seed: number,
  winners: { full: { accuracy: number }; adaptive: { accuracy: number; selectionScore: number } },
): Promise<Record<"full" | "adaptive", { calls: number; verdict: ShipWord }>> {
  const rng = new Rng(seedFor(seed, `bench:selection:baselines:${a},${b}`));
  const baselines = [
    { name: "no instruction", accuracy: sampleBeta(rng, 1, 12) },
    { name: "human instruction", accuracy: Math.max(sampleBeta(rng, a, b), sampleBeta(rng, a, b)) },
  ];
  const testSize = 100;
  // per test example: one uniform per instruction (answers right when below its accuracy)
  const draws = (n: number) => Array.from({ length: n }, () => rng.uniform());
  const scoresOf = (acc: number, u: number[]): number[] => u.map((x) => (x < acc ? 1 : 0));
  // the pilots' answers on validation: drawn (the test draws stay those of every earlier version of
  // this benchmark), their scores only go in reports
  baselines.map(() => draws(p.validation));
  const test = baselines.map(() => draws(testSize));
  const winnerTest = draws(testSize);
  const verdict = (winner: number[], bs: number[][], plan?: TestPlan): ShipWord => {
    const results: BaselineResult[] = bs.map((s, i) => ({
      name: baselines[i].name,
      kind: i === 0 ? "none" : "human",
      instruction: baselines[i].name,
      validation: { score: 0, scores: [] },
      test: { score: 0, scores: s, low: 0, high: 0 },
    }));
    const test = { score: 0, scores: winner, outputs: [] };
    return verdictOf(compareWithBaselines(winner, results, seed, plan), test, results)!.verdict;
  };
  // full
  const fullWinner = scoresOf(winners.full.accuracy, winnerTest);
  const full = {
    calls: baselines.length * (p.validation + testSize) + testSize,
    verdict: verdict(
      fullWinner,
      baselines.map((bl, i) => scoresOf(bl.accuracy, test[i])),
    ),
  };
  // adaptive: the pilot (its scores are only reported), then the sequential test
  const pilot = Math.min(BASELINE_PILOT, p.validation);
  const plan = sequentialTestPlan(testSize);
  const adWinner = scoresOf(winners.adaptive.accuracy, winnerTest);
  const adBase = baselines.map((bl, i) => scoresOf(bl.accuracy, test[i]));
  const out = await runSequentialTest(
    plan,
    baselines.length,
    {
      winner: async (upTo) => adWinner.slice(0, upTo),
      baseline: async (i, upTo) => adBase[i].slice(0, upTo),
    },
    baselines.map((bl) => seedFor(seed, `compare:${bl.name}`)),
  );
  const adaptive = {
    calls: baselines.length * pilot + out.winnerN + out.baselineN.reduce((x, y) => x + y, 0),
    verdict: verdict(
      adWinner.slice(0, out.winnerN),
      adBase.map((s, i) => s.slice(0, out.baselineN[i])),
      plan,
    ),
  };
  return { full, adaptive };
}

/** Mean of n Bernoulli(p) draws. */
function meanOfDraws(rng: Rng, p: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) if (rng.uniform() < p) s++;
  return s / n;
}

/** Beta(a, b) draw as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b). */
function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}

/** Gamma(shape, 1) draw (Marsaglia-Tsang; shape < 1 via the U^(1/shape) boost). */
function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.uniform();
    return sampleGamma(rng, shape + 1) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = 0;
    let v = 0;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function int(args: Map<string, string>, name: string, dflt: number): number {
  const v = args.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${name}: expected an integer, got "${v}"`);
  return n;
}

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), "true");
  }
  return out;
}

await main();
