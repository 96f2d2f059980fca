/** The cost-aware choice on constructed records, and the strict parsing of prefer and objective. */
import { describe, expect, it } from "vitest";
import { objectiveValue, parseObjective } from "../../src/config/objective.js";
import { RunOptionsSchema } from "../../src/config/schema.js";
import { applyPreference, cheaperChoice } from "../../src/optimizers/phases/prefer.js";
import type { SelectionResult } from "../../src/optimizers/phases/results-types.js";
import { makeRunConfig } from "../../src/optimizers/run.js";
import { observedValues } from "../../src/optimizers/soft-prompt/warm-start.js";
import type { EvaluationRecord } from "../../src/store/types.js";

const ones = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));

function record(index: number, scores: number[], usdPer1k?: number): EvaluationRecord {
  return {
    index,
    iteration: 0,
    z: [0],
    instruction: `i${index}`,
    score: scores.reduce((a, b) => a + b, 0) / scores.length,
    scores,
    outputs: scores.map(() => ""),
    reused: false,
    calls: scores.length,
    cacheHits: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    generationMs: 0,
    evaluationMs: 0,
    ...(usdPer1k !== undefined ? { usdPer1k } : {}),
  };
}

describe("cheaperChoice", () => {
  // 100 examples: the best at 0.90; a distinguishably worse one (0.50) is cheapest of all
  const best = { index: 0, score: 0.9, scores: ones(100, 90), usdPer1k: 1.0 };
  const close = { index: 1, score: 0.89, scores: ones(100, 89), usdPer1k: 0.5 };
  const closer = { index: 2, score: 0.88, scores: ones(100, 88), usdPer1k: 0.7 };
  const bad = { index: 3, score: 0.5, scores: ones(100, 50), usdPer1k: 0.1 };
  const unknown = { index: 4, score: 0.9, scores: ones(100, 90) };

  it("picks the cheapest candidate within the tolerance or not distinguishable from the best", () => {
    expect(cheaperChoice([best, close, closer, bad, unknown], 0, 0.02, 0)).toBe(1);
    // with tolerance 0, 0.89 and 0.88 are still not distinguishable from 0.90 on these examples
    expect(cheaperChoice([best, closer, bad], 0, 0, 0)).toBe(2);
  });

  it("never takes a candidate distinguishably worse, nor one whose cost is unknown", () => {
    expect(cheaperChoice([best, bad], 0, 0.1, 0)).toBe(0);
    expect(cheaperChoice([best, unknown], 0, 0.5, 0)).toBe(0);
    // a large tolerance admits the worse one
    expect(cheaperChoice([best, bad], 0, 0.5, 0)).toBe(3);
  });

  it("keeps the best when it is the cheapest or its own cost is unknown", () => {
    expect(cheaperChoice([{ ...best, usdPer1k: 0.01 }, close], 0, 0.5, 0)).toBe(0);
    expect(cheaperChoice([{ ...best, usdPer1k: undefined }, close], 0, 0.5, 0)).toBe(0);
  });

  it("on equal cost prefers the higher score", () => {
    const a = { index: 5, score: 0.85, scores: ones(100, 85), usdPer1k: 0.5 };
    expect(cheaperChoice([best, a, close], 0, 0.1, 0)).toBe(1);
  });
});

describe("applyPreference", () => {
  const records = [record(0, ones(20, 18), 2), record(1, ones(20, 17), 1), record(2, ones(20, 5), 0.1)];

  it("leaves the selection alone without prefer", () => {
    const sel: SelectionResult = { rule: "validation", size: 0, candidates: [], winner: 0 };
    expect(applyPreference(sel, records, undefined, 0)).toBe(sel);
  });

  it("validation rule: ranks the fully scored records and says what the scores alone chose", () => {
    const sel: SelectionResult = { rule: "validation", size: 0, candidates: [], winner: 0 };
    const out = applyPreference(sel, records, { cheaper: 0.05 }, 0);
    expect(out.winner).toBe(1);
    expect(out.bestByScore).toBe(0);
  });

  it("fresh rule: ranks the selection candidates by their selection scores", () => {
    const sel: SelectionResult = {
      rule: "fresh",
      size: 30,
      candidates: [
        { index: 0, instruction: "i0", validationScore: 0.9, score: 0.9, scores: ones(30, 27) },
        { index: 2, instruction: "i2", validationScore: 0.25, score: 0.3, scores: ones(30, 9) },
      ],
      winner: 0,
    };
    // record 2 is far cheaper but clearly worse on the selection split
    expect(applyPreference(sel, records, { cheaper: 0.05 }, 0).winner).toBe(0);
  });
});

describe("prefer and objective options", () => {
  it("prefer: cheaper:TOL as text or { cheaper } in code; anything else is an error", () => {
    expect(RunOptionsSchema.parse({ task: "t", prefer: "cheaper:0.02" }).prefer).toEqual({ cheaper: 0.02 });
    expect(RunOptionsSchema.parse({ task: "t", prefer: { cheaper: 0 } }).prefer).toEqual({ cheaper: 0 });
    expect(RunOptionsSchema.safeParse({ task: "t", prefer: "cheapest" }).success).toBe(false);
    expect(RunOptionsSchema.safeParse({ task: "t", prefer: { cheaper: -1 } }).success).toBe(false);
    expect(RunOptionsSchema.parse({ task: "t" }).prefer).toBeUndefined();
  });

  it("objective: only score - L * usd_per_1k", () => {
    expect(parseObjective("score - 0.05 * usd_per_1k")).toEqual({ costWeight: 0.05 });
    expect(parseObjective("score-2*usd_per_1k")).toEqual({ costWeight: 2 });
    for (const bad of [
      "score + 1 * usd_per_1k",
      "score - L * usd_per_1k",
      "score",
      "usd_per_1k",
      "score - -1 * usd_per_1k",
    ])
      expect(() => parseObjective(bad), bad).toThrow(/score - L \* usd_per_1k/);
    const r = RunOptionsSchema.safeParse({ task: "t", objective: "score * 2" });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/score - L \* usd_per_1k/);
  });

  it("BO observes the objective, the records keep their scores", () => {
    const recs = [record(0, ones(10, 8), 2), record(1, ones(10, 7), 0.5), record(2, ones(10, 6))];
    const plain = makeRunConfig({ task: "t", target: "test:bb" });
    expect(observedValues(plain, recs)).toEqual([0.8, 0.7, 0.6]);
    const cfg = makeRunConfig({ task: "t", target: "test:bb", objective: "score - 0.1 * usd_per_1k" });
    const v = observedValues(cfg, recs);
    expect(v[0]).toBeCloseTo(0.6, 12);
    expect(v[1]).toBeCloseTo(0.65, 12);
    expect(v[2]).toBeCloseTo(0.6, 12);
    expect(objectiveValue({ costWeight: 1 }, 0.5, undefined)).toBe(0.5);
    expect(recs.map((r) => r.score)).toEqual([0.8, 0.7, 0.6]);
  });
});

describe("warm start", () => {
  it("is the first batch; the initial design and the BO batches follow, to the budget", async () => {
    const { searchSizes, initialBatch, warmStartBatch } = await import(
      "../../src/optimizers/soft-prompt/warm-start.js"
    );
    const z = Array.from({ length: 10 }, () => 0.1);
    const warmStart = [0, 1, 2].map((i) => ({ z: z.map((v) => v * i), instruction: `w${i}` }));
    const cold = makeRunConfig({
      task: "t",
      target: "test:bb",
      budget: 60,
      initialPoints: 25,
      batchSize: 25,
    });
    expect(searchSizes(cold)).toEqual([25, 25, 10]);
    expect(initialBatch(cold)).toBe(0);
    expect(warmStartBatch(cold, 25)).toBeUndefined();
    const warm = { ...cold, warmStart };
    expect(searchSizes(warm)).toEqual([3, 25, 25, 7]);
    expect(initialBatch(warm)).toBe(1);
    expect(warmStartBatch(warm, 3)).toEqual({
      points: warmStart.map((w) => w.z),
      instructions: ["w0", "w1", "w2"],
    });
    expect(() => warmStartBatch({ ...warm, intrinsicDim: 5 }, 3)).toThrow(/10 dimensions.*searches 5/);
  });
});
