/**
 * The selection race of the adaptive post-search (src/optimizers/select-race.ts): its plan, its worst
 * case, and each step's drops (sign test against the leader, caps), pooled ranks and the final choice
 * by the selection score alone.
 */
import { describe, expect, it } from "vitest";
import { binomialUpperTailHalf } from "../../src/optimizers/racing.js";
import {
  type RaceCandidate,
  SELECTION_RACE_ALPHA,
  selectionRacePlan,
  selectionRaceStep,
  selectionRaceWorstCase,
} from "../../src/optimizers/select-race.js";

const c = (index: number, validationScore: number, selectionScores: number[]): RaceCandidate => ({
  index,
  validationScore,
  validationCount: 20,
  selectionScores,
});
const ones = (n: number) => Array<number>(n).fill(1);

describe("the selection race", () => {
  it("plans 5 candidates on 50 examples: 10 first, blocks of 5, at most 48, 3 then 2 alive", () => {
    const plan = selectionRacePlan(5, 50);
    expect(plan).toEqual({
      first: 10,
      block: 5,
      max: 48,
      caps: [
        { from: 10, alive: 3 },
        { from: 25, alive: 2 },
      ],
    });
    const worst = selectionRaceWorstCase(5, plan);
    expect(worst[0]).toEqual({ alive: 5, upTo: 10 });
    expect(worst.at(-1)).toEqual({ alive: 2, upTo: 48 });
    let calls = 0;
    let n = 0;
    for (const r of worst) {
      calls += r.alive * (r.upTo - n);
      n = r.upTo;
    }
    // 5 x 10 + 3 x 15 + 2 x 23, against 250 for every candidate on every example
    expect(calls).toBe(141);
    expect(selectionRaceWorstCase(0, plan)).toEqual([]);
    // a small split: at least 5 examples first, blocks of at least one
    expect(selectionRacePlan(5, 10)).toMatchObject({ first: 5, block: 1, max: 10 });
  });

  it("drops by the exact sign test against the leader, then keeps at most 3", () => {
    const plan = selectionRacePlan(5, 50);
    expect(selectionRaceStep([c(1, 1, []), c(2, 1, [])], plan)).toEqual({
      alive: [c(1, 1, []), c(2, 1, [])],
      upTo: 10,
    });
    // pooled ranks (validation 20 + selection 10): #1 28/30, #2 27/30, #3 26/30, #4 26/30, #5 25/30.
    // #2 is wrong on 3 examples where the leader #1 is right: p = 1/8 < 0.15, dropped although its
    // pooled score is second; #3-#5 (one example against) stay in the test, and the cap keeps 3
    expect(binomialUpperTailHalf(3, 3)).toBeLessThan(SELECTION_RACE_ALPHA);
    expect(binomialUpperTailHalf(1, 1)).toBeGreaterThan(SELECTION_RACE_ALPHA);
    const step = selectionRaceStep(
      [
        c(1, 0.9, ones(10)),
        c(2, 1, [0, 0, 0, ...ones(7)]),
        c(3, 0.85, [0, ...ones(9)]),
        c(4, 0.85, [...ones(9), 0]),
        c(5, 0.8, [0, ...ones(9)]),
      ],
      plan,
    );
    expect(step.upTo).toBe(15);
    // #3 and #4 tie on pooled score and validation: the earlier first
    expect(step.alive.map((x) => x.index)).toEqual([1, 3, 4]);
  });

  it("ranks by pooled scores while racing but chooses by the selection score alone", () => {
    const plan = selectionRacePlan(2, 50);
    // #1: validation 1.0, selection 40/48; #2: validation 0.5, selection 41/48
    const a = c(1, 1, [...ones(40), ...Array<number>(8).fill(0)]);
    const b = c(2, 0.5, [0, ...ones(41), ...Array<number>(6).fill(0)]);
    const mid = selectionRaceStep(
      [
        { ...a, selectionScores: a.selectionScores.slice(0, 45) },
        { ...b, selectionScores: b.selectionScores.slice(0, 45) },
      ],
      plan,
    );
    expect(mid.alive.map((x) => x.index)).toEqual([1, 2]);
    expect(mid.upTo).toBe(48);
    const end = selectionRaceStep([a, b], plan);
    expect(end.upTo).toBeNull();
    expect(end.alive.map((x) => x.index)).toEqual([2, 1]);
  });

  it("ends with one candidate left, and refuses candidates scored on different prefixes", () => {
    const plan = selectionRacePlan(2, 50);
    const end = selectionRaceStep([c(1, 1, ones(15)), c(2, 1, Array<number>(15).fill(0))], plan);
    expect(end).toEqual({ alive: [c(1, 1, ones(15))], upTo: null });
    expect(() => selectionRaceStep([c(1, 1, ones(10)), c(2, 1, ones(5))], plan)).toThrow(
      /5 selection scores/,
    );
  });
});
