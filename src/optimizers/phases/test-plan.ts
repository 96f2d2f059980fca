/**
 * The adaptive verdict (`postSearch: "adaptive"`): a group-sequential test. Each baseline is scored on
 * a pilot of the first {@link BASELINE_PILOT} validation examples (its validation score, for reports);
 * then the winner and the baselines are scored on the test split in **looks** at 10, 20, 40, 70 and 100
 * examples (then x1.5; the last look is the whole split; a split of at most 10 examples is one look),
 * every comparison pairing the winner and a baseline on the same first examples. After each look:
 * - **decided**: a comparison whose interval (the verdict's own: Bonett-Price for 0/1 scores, the
 *   studentized bootstrap for graded ones, src/stats) at level 1 - alpha_k excludes 0 is decided
 *   ("better" or "worse") and its baseline is not scored further;
 * - **repeated confidence intervals**: the look levels spend the verdict's 0.05 over the looks
 *   (Bonferroni): {@link FIRST_LOOK_ALPHA} at the first, {@link MIDDLE_LOOKS_ALPHA} shared equally by
 *   the looks between, the rest at the last. Whatever look a comparison stops at, the probability that
 *   its interval (or any of a mean's intervals) misses the true value is at most the sum, 0.05, so the
 *   reported intervals are 95% intervals of the sequential design, and "better"/"worse" keeps a type-I
 *   error of at most 0.05 (Jennison and Turnbull's repeated confidence intervals, with the union bound
 *   instead of the exact joint distribution: conservative, valid for any metric and any stopping rule);
 * - **futility**: a comparison still open stops when its conditional power, the probability that the
 *   last look decides it if the observed difference and spread hold, is below {@link FUTILITY_POWER}:
 *   no call is paid for a comparison the test split is unlikely to decide;
 * - once the verdict is settled to be other than "ship" (a baseline is better, or a comparison stopped
 *   undecided), the comparisons that could only make it "ship" stop (those leaning the winner's way).
 * The winner is scored as far as the furthest open comparison needs. The plan depends only on the test
 * split's size, and every decision only on the scores of earlier looks, so a run is deterministic and
 * resumes exactly. Pure: the run (./sequential-test.ts) and `npm run bench:selection` use the same steps.
 * The looks, the levels' split and the futility bar were chosen with `npm run bench:selection` (every
 * call after the search at most 200 per run on average, as many verdicts decided as that allows);
 * error rates measured by simulation: README, "Where this differs".
 */
import { compareScores } from "../../stats/compare.js";
import { normalCdf, normalQuantile } from "../../stats/normal.js";

/** Validation examples each baseline is scored on under the adaptive verdict (its validation score). */
export const BASELINE_PILOT = 5;
/** Two-sided level of the whole verdict (its intervals are 1 - this). */
export const VERDICT_ALPHA = 0.05;
/** Level spent at the first look. */
export const FIRST_LOOK_ALPHA = 0.01;
/** Level shared equally by the looks between the first and the last. */
export const MIDDLE_LOOKS_ALPHA = 0.022;
/** A comparison whose conditional power falls below this stops undecided. */
export const FUTILITY_POWER = 0.8;
/** The looks' sizes up to 100 test examples (then x1.5). */
const LOOKS = [10, 20, 40, 70, 100];

/** When the comparisons are looked at (cumulative test examples) and the level spent at each look. */
export interface TestPlan {
  looks: number[];
  alphas: number[];
}

/** The plan for a test split of `testSize` examples (see the module). */
export function sequentialTestPlan(testSize: number): TestPlan {
  if (testSize <= 0) return { looks: [], alphas: [] };
  const sizes = [...LOOKS];
  while (sizes[sizes.length - 1] < testSize)
    sizes.push(Math.round((sizes[sizes.length - 1] * 1.5) / 10) * 10);
  const looks = [...sizes.filter((n) => n < testSize), testSize];
  if (looks.length === 1) return { looks, alphas: [VERDICT_ALPHA] };
  const middle = looks.length - 2;
  const alphas = looks.map((_, k) =>
    k === 0 ? FIRST_LOOK_ALPHA : k < looks.length - 1 ? MIDDLE_LOOKS_ALPHA / middle : 0,
  );
  alphas[looks.length - 1] = VERDICT_ALPHA - alphas.reduce((a, b) => a + b, 0);
  return { looks, alphas };
}

/**
 * The level the plan spends at the look of `n` examples (a comparison or a mean that stopped there);
 * the whole verdict's level when `n` is not a look (a plan-less run).
 */
export function lookAlpha(plan: TestPlan | undefined, n: number): number {
  const k = plan ? plan.looks.indexOf(n) : -1;
  return k < 0 ? VERDICT_ALPHA : plan!.alphas[k];
}

/** Where a comparison stands: still looked at, decided, or stopped undecided. */
export type ComparisonStatus = "open" | "better" | "worse" | "stopped";

/**
 * The statuses after look `k` (0-based) from those before it: `winner` and each baseline's scores
 * (every open baseline scored on the look's examples, the winner on at least as many); `seeds`: each
 * comparison's bootstrap seed (graded scores), the same the run's result uses.
 */
export function lookDecisions(
  plan: TestPlan,
  k: number,
  winner: readonly number[],
  baselines: readonly (readonly number[])[],
  before: readonly ComparisonStatus[],
  seeds: readonly number[],
): ComparisonStatus[] {
  const n = plan.looks[k];
  const last = k === plan.looks.length - 1;
  const status = [...before];
  const leaning: number[] = before.map(() => 0);
  for (const [i, s] of before.entries()) {
    if (s !== "open") continue;
    const b = baselines[i];
    if (b.length < n || winner.length < n)
      throw new RangeError(`lookDecisions: look ${k} needs ${n} test scores of the winner and baseline ${i}`);
    const c = compareScores(winner.slice(0, n), b.slice(0, n), { seed: seeds[i], alpha: plan.alphas[k] });
    leaning[i] = c.diff;
    if (c.verdict === "better") status[i] = "better";
    else if (c.verdict === "worse") status[i] = "worse";
    else if (last || conditionalPower(plan, k, c) < FUTILITY_POWER) status[i] = "stopped";
  }
  const settled = status.some((s) => s === "worse" || s === "stopped");
  for (const [i, s] of status.entries()) {
    if (s !== "open") continue;
    // a baseline better than the winner settles it; an undecided one rules out "ship"
    if (status.some((x) => x === "worse") || (settled && leaning[i] > 0)) status[i] = "stopped";
  }
  return status;
}

/**
 * The probability that the last look decides a comparison if its observed difference d and spread
 * hold: with the standard error se on n examples (from the look's interval), the sum of the N last
 * differences is about N d, and the last look decides when it exceeds z_K se sqrt(n N):
 * Phi((|d| N - z_K se sqrt(n N)) / (se sqrt(n (N - n)))).
 */
function conditionalPower(plan: TestPlan, k: number, c: { diff: number; low: number; high: number }): number {
  const n = plan.looks[k];
  const big = plan.looks[plan.looks.length - 1];
  const zk = normalQuantile(1 - plan.alphas[k] / 2);
  const zLast = normalQuantile(1 - plan.alphas[plan.alphas.length - 1] / 2);
  const se = (c.high - c.low) / (2 * zk);
  const d = Math.abs(c.diff);
  if (!(se > 0)) return d > 0 ? 1 : 0;
  return normalCdf((d * big - zLast * se * Math.sqrt(n * big)) / (se * Math.sqrt(n * (big - n))));
}

/** How the sequential test scores: the first `upTo` test scores of the winner or of baseline `i`. */
export interface SequentialScorer {
  winner(upTo: number): Promise<readonly number[]>;
  baseline(i: number, upTo: number): Promise<readonly number[]>;
}

/** Where the sequential test ended: test examples of the winner and of each baseline, and statuses. */
export interface SequentialOutcome {
  winnerN: number;
  baselineN: number[];
  status: ComparisonStatus[];
}

/**
 * Run the sequential test of `plan` with `baselines` baselines: at each look the winner, then each
 * open baseline, scored up to the look (by `scorer`, which returns stored scores where it has them),
 * then {@link lookDecisions}.
 */
export async function runSequentialTest(
  plan: TestPlan,
  baselines: number,
  scorer: SequentialScorer,
  seeds: readonly number[],
): Promise<SequentialOutcome> {
  let status: ComparisonStatus[] = Array.from({ length: baselines }, () => "open");
  const baselineN = status.map(() => 0);
  const scores: (readonly number[])[] = status.map(() => []);
  let winner: readonly number[] = [];
  // nothing to compare with: the winner on the whole split
  if (baselines === 0 && plan.looks.length > 0)
    winner = await scorer.winner(plan.looks[plan.looks.length - 1]);
  for (let k = 0; k < plan.looks.length && status.some((s) => s === "open"); k++) {
    const n = plan.looks[k];
    winner = await scorer.winner(n);
    for (const [i, s] of status.entries()) {
      if (s !== "open") continue;
      scores[i] = await scorer.baseline(i, n);
      baselineN[i] = n;
    }
    status = lookDecisions(plan, k, winner, scores, status, seeds);
  }
  return { winnerN: winner.length, baselineN, status };
}
