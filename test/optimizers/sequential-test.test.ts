/**
 * The adaptive verdict's group-sequential test (src/optimizers/phases/test-plan.ts): the plan, the
 * decisions after a look, the driver, and a seeded simulation of its error rates: the repeated 95%
 * intervals keep their level whatever look a comparison stops at.
 */
import { describe, expect, it } from "vitest";
import { compareWithBaselines } from "../../src/optimizers/phases/results.js";
import type { BaselineResult } from "../../src/optimizers/phases/results-types.js";
import {
  FIRST_LOOK_ALPHA,
  lookAlpha,
  lookDecisions,
  MIDDLE_LOOKS_ALPHA,
  runSequentialTest,
  sequentialTestPlan,
  VERDICT_ALPHA,
} from "../../src/optimizers/phases/test-plan.js";
import { Rng } from "../../src/util/rng.js";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe("the sequential test plan", () => {
  it("looks at 10, 20, 40, 70 and 100 examples and spends 0.05 over them", () => {
    const plan = sequentialTestPlan(100);
    expect(plan.looks).toEqual([10, 20, 40, 70, 100]);
    expect(plan.alphas[0]).toBe(FIRST_LOOK_ALPHA);
    for (const a of plan.alphas.slice(1, -1)) expect(a).toBeCloseTo(MIDDLE_LOOKS_ALPHA / 3, 15);
    expect(sum(plan.alphas)).toBeCloseTo(VERDICT_ALPHA, 15);
    expect(plan.alphas.at(-1)).toBeCloseTo(VERDICT_ALPHA - FIRST_LOOK_ALPHA - MIDDLE_LOOKS_ALPHA, 15);
    // other sizes: the last look is the whole split; beyond 100, x1.5
    expect(sequentialTestPlan(55).looks).toEqual([10, 20, 40, 55]);
    expect(sequentialTestPlan(15)).toEqual({ looks: [10, 15], alphas: [0.01, 0.04] });
    expect(sequentialTestPlan(8)).toEqual({ looks: [8], alphas: [0.05] });
    expect(sequentialTestPlan(400).looks).toEqual([10, 20, 40, 70, 100, 150, 230, 350, 400]);
    expect(sum(sequentialTestPlan(400).alphas)).toBeCloseTo(0.05, 15);
    expect(sequentialTestPlan(0)).toEqual({ looks: [], alphas: [] });
    expect(lookAlpha(plan, 40)).toBe(plan.alphas[2]);
    expect(lookAlpha(plan, 33)).toBe(0.05);
    expect(lookAlpha(undefined, 100)).toBe(0.05);
  });

  it("decides, stops for futility, and stops what can only make it 'ship' once it cannot be", () => {
    const plan = sequentialTestPlan(100);
    const winner = Array<number>(10).fill(1);
    // no instruction: 0/10 (decided at 0.01); a close baseline 9/10: conditional power ~0 (stopped);
    const decided = lookDecisions(
      plan,
      0,
      winner,
      [Array<number>(10).fill(0), [0, ...Array<number>(9).fill(1)]],
      ["open", "open"],
      [1, 2],
    );
    expect(decided).toEqual(["better", "stopped"]);
    // a baseline 5/10 against 10/10 is not decided at 0.01 but likely to be: it stays open
    const half = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
    expect(lookDecisions(plan, 0, winner, [half], ["open"], [1])).toEqual(["open"]);
    // ... unless another comparison stopped undecided: "ship" is out, it leans towards ship: stopped
    expect(
      lookDecisions(plan, 0, winner, [half, [0, ...Array<number>(9).fill(1)]], ["open", "open"], [1, 2]),
    ).toEqual(["stopped", "stopped"]);
    // the last look ends everything open
    const w100 = Array.from({ length: 100 }, (_, i) => (i % 10 < 8 ? 1 : 0));
    // the baseline misses 5 of the winner's answers: +0.05, not decided at the last look's level
    const b100 = Array.from({ length: 100 }, (_, i) => (i % 10 < 7 || i % 20 === 7 ? 1 : 0));
    expect(lookDecisions(plan, 4, w100, [b100], ["open"], [1])).toEqual(["stopped"]);
    expect(() => lookDecisions(plan, 1, winner, [half], ["open"], [1])).toThrow(/needs 20/);
  });

  it("scores only what the looks need, and the comparisons are those of the last look", async () => {
    const plan = sequentialTestPlan(100);
    const rng = new Rng(7);
    const w = Array.from({ length: 100 }, () => (rng.uniform() < 0.9 ? 1 : 0));
    const bs = [0.05, 0.6].map((p) => Array.from({ length: 100 }, () => (rng.uniform() < p ? 1 : 0)));
    const asked: string[] = [];
    const out = await runSequentialTest(
      plan,
      2,
      {
        winner: async (n) => {
          asked.push(`w${n}`);
          return w.slice(0, n);
        },
        baseline: async (i, n) => {
          asked.push(`b${i}:${n}`);
          return bs[i].slice(0, n);
        },
      },
      [11, 12],
    );
    expect(out.status).toEqual(["better", "better"]);
    expect(out.baselineN[0]).toBe(10);
    expect(out.winnerN).toBe(Math.max(...out.baselineN));
    expect(asked.slice(0, 3)).toEqual(["w10", "b0:10", "b1:10"]);
    expect(asked).not.toContain("b0:20");
    // the recorded comparisons: at the look's level, the p-value scaled to 0.05, reported as 95%
    const results = bs.map(
      (s, i): BaselineResult => ({
        name: `b${i}`,
        kind: "user",
        instruction: `b${i}`,
        validation: { score: 0, scores: [] },
        test: { score: 0, scores: s.slice(0, out.baselineN[i]), low: 0, high: 0 },
      }),
    );
    const cs = compareWithBaselines(w.slice(0, out.winnerN), results, 0, plan);
    expect(cs.map((c) => c.verdict)).toEqual(["better", "better"]);
    for (const c of cs) {
      expect(c.pValue).toBeLessThan(0.05);
      expect(c.text).toMatch(/\(95% CI /);
    }
  });
});

describe("the sequential verdict's error rates (seeded simulation)", () => {
  // 0/1 scores on a test split of 100 examples, winner and baseline answering independently
  async function simulate(pw: number, pb: number, reps: number, seed: number) {
    const plan = sequentialTestPlan(100);
    const rng = new Rng(seed);
    let decided = 0;
    let missed = 0;
    let calls = 0;
    for (let r = 0; r < reps; r++) {
      const w = Array.from({ length: 100 }, () => (rng.uniform() < pw ? 1 : 0));
      const b = Array.from({ length: 100 }, () => (rng.uniform() < pb ? 1 : 0));
      const out = await runSequentialTest(
        plan,
        1,
        { winner: async (n) => w.slice(0, n), baseline: async (_i, n) => b.slice(0, n) },
        [r],
      );
      const n = out.baselineN[0];
      calls += out.winnerN + n;
      const base: BaselineResult = {
        name: "b",
        kind: "user",
        instruction: "b",
        validation: { score: 0, scores: [] },
        test: { score: 0, scores: b.slice(0, n), low: 0, high: 0 },
      };
      const [c] = compareWithBaselines(w.slice(0, out.winnerN), [base], r, plan);
      if (c.verdict !== "indistinguishable") decided++;
      if (!(c.low <= pw - pb && pw - pb <= c.high)) missed++;
    }
    return { decided: decided / reps, missed: missed / reps, calls: calls / reps };
  }

  it("keeps the type-I error and the intervals' miss rate below 0.05", async () => {
    for (const p of [0.5, 0.8, 0.95]) {
      const s = await simulate(p, p, 2000, 1);
      expect(s.decided).toBeLessThanOrEqual(0.05);
      expect(s.missed).toBeLessThanOrEqual(0.05);
    }
    const gain = await simulate(0.85, 0.7, 2000, 2);
    expect(gain.missed).toBeLessThanOrEqual(0.05);
    // a large gain is decided early: far fewer than the 200 calls of both on all 100 examples
    const big = await simulate(0.9, 0.1, 500, 3);
    expect(big.decided).toBe(1);
    expect(big.calls).toBeLessThan(25);
  });
});
